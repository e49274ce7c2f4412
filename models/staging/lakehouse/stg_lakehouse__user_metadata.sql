-- Silver cleaning of the user snapshot: normalised attribute values, exact duplicates collapsed.
-- Conflicting rows of one user all stay here; dim_users picks one of them.
with

source as (

    select * from {{ source('lakehouse', 'user_metadata') }}

),

normalised as (

    select
        user_id,
        join_date,
        upper(trim(country)) as country,
        lower(trim(device_type)) as device_type,
        lower(trim(subscription_type)) as subscription_type,
        _ingested_at
    from source

)

select
    user_id,
    join_date,
    country,
    device_type,
    subscription_type,
    count(*) as copies_landed,
    max(_ingested_at) as last_ingested_at

from normalised
group by user_id, join_date, country, device_type, subscription_type
