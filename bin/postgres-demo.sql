-- The table the Postgres source demo feeds into livequery (bin/pg-demo, docker-compose.yml).
create table if not exists items (
  id     int primary key,
  name   text not null,
  price  numeric(10, 2),
  status text,
  at     timestamptz not null default now()
);
insert into items (id, name, price, status)
select i, 'item ' || i, (i * 37 % 1000) / 10.0, case when i % 3 = 0 then 'closed' else 'open' end
from generate_series(1, 50) as i
on conflict do nothing;
