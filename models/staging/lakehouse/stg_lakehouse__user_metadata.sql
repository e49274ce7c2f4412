-- Silver staging of the user snapshot: trimmed values as the source spells them (country codes
-- upper case), empty text as null, exact duplicate rows collapsed. Conflicting rows of one user
-- all stay here (dim_users picks one); int_user_metadata_classified maps the values to classes.
with

source as (

    select * from {{ source('lakehouse', 'user_metadata') }}

),

trimmed as (

    select
        user_id,
        join_date,
        nullif(upper(trim(country)), '') as country,
        nullif(trim(device_type), '') as device_type,
        nullif(trim(subscription_type), '') as subscription_type,
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

from trimmed
group by user_id, join_date, country, device_type, subscription_type
