-- The one place where user attributes are mapped to the classes the marts group by
-- (docs/models-lakehouse.md). The raw values stay beside their class:
-- - device_class: mobile, tablet or desktop for the device types the case's generator writes
--   (iPhone, Android Phone / iPad, Android Tablet / Windows, Mac) and pulse's older generic names;
-- - subscription_class: the plan when it is one the case knows (free, basic, premium, enterprise).
-- A value never seen before is 'other', a missing one 'unknown': the build goes on, the value is
-- counted in fct_app_users_quality and a warn-severity test on dim_users reports it. Values are
-- compared by category_key (case, spaces and dashes ignored). One row per staging row.
with

metadata as (

    select * from {{ ref('stg_lakehouse__user_metadata') }}

),

device_classes as (

    select
        device_list.device_key,
        device_list.device_class
    from (
        values
        ('iphone', 'mobile'),
        ('android_phone', 'mobile'),
        ('mobile', 'mobile'),
        ('ipad', 'tablet'),
        ('android_tablet', 'tablet'),
        ('tablet', 'tablet'),
        ('windows', 'desktop'),
        ('mac', 'desktop'),
        ('desktop', 'desktop')
    ) as device_list (device_key, device_class)

),

known_plans as (

    select plan_list.plan_key
    from (
        values
        ('free'),
        ('basic'),
        ('premium'),
        ('enterprise')
    ) as plan_list (plan_key)

)

select
    metadata.user_id,
    metadata.join_date,
    metadata.country,
    metadata.device_type,
    case
        when metadata.device_type is null then 'unknown'
        else coalesce(device_classes.device_class, 'other')
    end as device_class,
    metadata.subscription_type,
    case
        when metadata.subscription_type is null then 'unknown'
        else coalesce(known_plans.plan_key, 'other')
    end as subscription_class,
    metadata.copies_landed,
    metadata.last_ingested_at

from metadata
left join device_classes on {{ category_key('metadata.device_type') }} = device_classes.device_key
left join known_plans on {{ category_key('metadata.subscription_type') }} = known_plans.plan_key
