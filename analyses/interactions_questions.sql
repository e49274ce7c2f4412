-- The interactions case: its aggregates answered from the marts, one row each.
with

overview as (

    select * from {{ ref('fct_interactions_overview') }}

),

minute_windows as (

    select
        avg(avg_interactions_per_user) as avg_per_user_per_minute,
        max(interaction_count) as busiest_minute_count
    from {{ ref('fct_interactions_per_minute') }}
    where interaction_type = 'all'

),

by_type as (

    select
        {{ dbt.listagg(
            "interaction_type || ' ' || cast(interaction_count as string)",
            "', '",
            "order by interaction_count desc, interaction_type",
        ) }} as counts
    from (
        select
            interaction_type,
            sum(interaction_count) as interaction_count
        from {{ ref('fct_interactions_per_minute') }}
        where interaction_type != 'all'
        group by interaction_type
    ) as type_totals

),

extremes as (

    select
        extreme,
        {{ dbt.listagg('item_id', "', '", 'order by item_id') }} as items,
        min(interaction_count) as interaction_count,
        count(*) as item_count
    from {{ ref('fct_interaction_item_extremes') }}
    group by extreme

)

select
    1 as question_number,
    'Average number of interactions per user?' as question,
    coalesce(
        cast(round(avg_interactions_per_user, 2) as string) || ' (' || cast(interaction_count as string)
        || ' interactions, ' || cast(user_count as string) || ' users)',
        'none yet (no interactions landed)'
    ) as answer
from overview

union all

select
    2 as question_number,
    'Average interactions per user within a minute window?' as question,
    coalesce(
        cast(round(avg_per_user_per_minute, 2) as string) || ' on average; busiest minute '
        || cast(busiest_minute_count as string) || ' interactions',
        'none yet (no interactions landed)'
    ) as answer
from minute_windows

union all

select
    3 as question_number,
    'Which item has the most interactions?' as question,
    coalesce(
        (
            select items || ' (' || cast(interaction_count as string) || ' interactions)'
            from extremes
            where extreme = 'max'
        ),
        'none yet (no interactions landed)'
    ) as answer

union all

select
    4 as question_number,
    'Which item has the fewest interactions?' as question,
    coalesce(
        (
            select
                case
                    when item_count > 5 then cast(item_count as string) || ' items tie'
                    else items
                end || ' (' || cast(interaction_count as string) || ' interactions)'
            from extremes
            where extreme = 'min'
        ),
        'none yet (no interactions landed)'
    ) as answer

union all

select
    5 as question_number,
    'Interactions by type?' as question,
    coalesce(counts, 'none yet (no interactions landed)') as answer
from by_type
