-- Seeds the shop's real schema (made by `shop migrate`) with :nproducts products and
-- :norders orders awaiting payment, each with its active reservation: the state the service
-- benchmark reaches through CreateProduct and CreateOrder, written directly.
--
-- Ids are derived from numbers so that confirm.sql can compute them: order n (0-based) has
-- id = reservation id = lpad(to_hex(n), 32, '0'); product k has lpad(to_hex(k + 2^48), 32,
-- '0'), so uuid order is number order. Order n has two lines, on products a and b:
--   a = (n * 7919) % P, quantity 1 + n % 3;  b = (a + 1 + (n * 104729) % (P - 1)) % P, quantity 1
-- (the formula of bench/src/workload.rs).
--
-- usage: psql -v norders=N -v nproducts=P -f seed.sql DATABASE_URL

INSERT INTO products (id, sku, name, stock, stock_reserved, created_at, updated_at)
SELECT lpad(to_hex(k + 281474976710656), 32, '0')::uuid, 'BENCH-' || k, 'Bench product ' || k,
       1000000000, 0, now(), now()
FROM generate_series(0::bigint, :nproducts - 1) k;

CREATE TEMP TABLE bench_lines AS
SELECT n, lpad(to_hex(n), 32, '0')::uuid AS id, a,
       (a + 1 + (n * 104729) % (:nproducts - 1)) % :nproducts AS b, 1 + n % 3 AS qa
FROM (SELECT n, (n * 7919) % :nproducts AS a FROM generate_series(0::bigint, :norders - 1) n) s;

INSERT INTO reservations (id, state, expires_at, created_at, updated_at)
SELECT id, 'active', now() + interval '1 hour', now(), now() FROM bench_lines;

INSERT INTO reservation_lines (reservation_id, product_id, quantity)
SELECT id, lpad(to_hex(a + 281474976710656), 32, '0')::uuid, qa FROM bench_lines
UNION ALL
SELECT id, lpad(to_hex(b + 281474976710656), 32, '0')::uuid, 1 FROM bench_lines;

UPDATE products p SET stock_reserved = r.reserved
FROM (SELECT product_id, sum(quantity) AS reserved FROM reservation_lines GROUP BY product_id) r
WHERE p.id = r.product_id;

INSERT INTO orders (id, status, customer_email, customer_name, currency, total_minor,
                    reservation_id, payment_deadline, cancel_reason, refund_required,
                    request_id, created_at, updated_at)
SELECT id, 'awaiting_payment', 'customer' || n || '@bench.example', 'Customer ' || n, 'EUR',
       (qa + 1) * 1250, id, now() + interval '30 minutes', '', false, NULL, now(), now()
FROM bench_lines;

INSERT INTO order_items (order_id, position, product_id, name, quantity, unit_price_minor)
SELECT id, 0, lpad(to_hex(a + 281474976710656), 32, '0')::uuid, 'Bench product ' || a, qa, 1250
FROM bench_lines
UNION ALL
SELECT id, 1, lpad(to_hex(b + 281474976710656), 32, '0')::uuid, 'Bench product ' || b, 1, 1250
FROM bench_lines;

VACUUM ANALYZE;
