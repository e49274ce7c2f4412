-- Grain: one row per user_id, from the metadata snapshot or, for a user who acts in
-- fct_app_interactions without any metadata row, an inferred member (attributes 'unknown'), so
-- every interaction and session joins to exactly one user.
-- Conflicting metadata rows of one user (same user_id, different attributes): the row with the
-- latest join_date wins; on a join_date tie the lowest country, then device_type, then
-- subscription_type (by their characters' code points, nulls last) wins. A value order, not a
-- landing order, so every rebuild from the same rows resolves the same way. The winning row's
-- raw values and their classes (int_user_metadata_classified) come along together.
with

metadata as (

    select * from {{ ref('int_user_metadata_classified') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by user_id
            order by
                join_date desc nulls last,
                country asc nulls last,
                device_type asc nulls last,
                subscription_type asc nulls last
        ) as version_rank,
        count(*) over (partition by user_id) as metadata_versions
    from metadata

),

resolved as (

    select
        user_id,
        join_date,
        coalesce(country, 'unknown') as country,
        coalesce(device_type, 'unknown') as device_type,
        device_class,
        coalesce(subscription_type, 'unknown') as subscription_type,
        subscription_class,
        metadata_versions
    from ranked
    where version_rank = 1

),

inferred as (

    select distinct interactions.user_id
    from {{ ref('fct_app_interactions') }} as interactions
    left join resolved on interactions.user_id = resolved.user_id
    where resolved.user_id is null

)

select
    user_id,
    join_date,
    country,
    device_type,
    device_class,
    subscription_type,
    subscription_class,
    metadata_versions,
    metadata_versions > 1 as has_conflicting_metadata,
    false as is_inferred
from resolved

union all

select
    user_id,
    cast(null as date) as join_date,
    'unknown' as country,
    'unknown' as device_type,
    'unknown' as device_class,
    'unknown' as subscription_type,
    'unknown' as subscription_class,
    0 as metadata_versions,
    false as has_conflicting_metadata,
    true as is_inferred
from inferred
