-- Campaigns, one row per campaign_id: the most recently landed row wins (a newer campaigns.csv
-- landed later updates a campaign's network or name).
with

source as (

    select * from {{ source('campaigns', 'campaigns') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by campaign_id
            order by _ingested_at desc, _file desc, _row desc
        ) as version_rank,
        count(*) over (partition by campaign_id) as versions_landed
    from source

)

select
    campaign_id,
    network_id,
    campaign_name,
    versions_landed,
    _ingested_at as ingested_at
from ranked
where version_rank = 1
