-- One confirmation's database work, statement for statement what the services issue for a
-- paid webhook on PostgreSQL: 3 statements, each atomic on its own (the order read, then
-- inventory's commit and orders' confirmation, one statement each; the SQL of
-- services/inventory/src/store/commit.rs and services/orders/src/store/confirm.rs, checked
-- by services/orders/tests/api/round_trips.rs), with
-- the ids that seed.sql derived from the order number. Every client confirms its own
-- :per_client orders once each, in turn, as the webhooks of the service benchmark do.
--
-- usage: pgbench -n -M prepared -c C -t PER -D i=0 -D per_client=PER -D nproducts=P -f confirm.sql DB

\set i :i + 1
\set n :client_id * :per_client + :i - 1

-- orders: RecordPayment loads the order with its items (outside a transaction).
SELECT "orders"."id" AS "A_id", "orders"."status" AS "A_status", "orders"."customer_email" AS "A_customer_email", "orders"."customer_name" AS "A_customer_name", "orders"."customer_address" AS "A_customer_address", "orders"."currency" AS "A_currency", "orders"."total_minor" AS "A_total_minor", "orders"."reservation_id" AS "A_reservation_id", "orders"."payment_deadline" AS "A_payment_deadline", "orders"."cancel_reason" AS "A_cancel_reason", "orders"."refund_required" AS "A_refund_required", "orders"."request_id" AS "A_request_id", "orders"."created_at" AS "A_created_at", "orders"."updated_at" AS "A_updated_at", "order_items"."order_id" AS "B_order_id", "order_items"."position" AS "B_position", "order_items"."product_id" AS "B_product_id", "order_items"."name" AS "B_name", "order_items"."quantity" AS "B_quantity", "order_items"."unit_price_minor" AS "B_unit_price_minor", "order_items"."tax_rate_bp" AS "B_tax_rate_bp" FROM "orders" LEFT JOIN "order_items" ON "orders"."id" = "order_items"."order_id" WHERE "orders"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid ORDER BY "order_items"."position" ASC;

-- inventory: CommitReservation, one statement (services/inventory/src/store/commit.rs).
WITH committed AS (
    UPDATE reservations SET state = 'committed', updated_at = now()
    WHERE id = lpad(to_hex(:n::bigint), 32, '0')::uuid AND state = 'active' AND expires_at > now()
    RETURNING id, expires_at, created_at
), locked AS (
    SELECT p.id, l.quantity
    FROM products p
    JOIN reservation_lines l ON l.product_id = p.id
    JOIN committed c ON c.id = l.reservation_id
    ORDER BY p.id
    FOR UPDATE OF p
), taken AS (
    UPDATE products p
    SET stock = p.stock - locked.quantity,
        stock_reserved = p.stock_reserved - locked.quantity,
        updated_at = now()
    FROM locked
    WHERE p.id = locked.id
    RETURNING p.id AS product_id, locked.quantity
)
SELECT c.expires_at, c.created_at, t.product_id, t.quantity
FROM committed c LEFT JOIN taken t ON true;

-- orders: the confirmation, one statement (services/orders/src/store/confirm.rs).
WITH moved AS (
    UPDATE orders
    SET status = 'confirmed', refund_required = false, reservation_id = lpad(to_hex(:n::bigint), 32, '0')::uuid, updated_at = now()
    WHERE id = lpad(to_hex(:n::bigint), 32, '0')::uuid AND status = 'awaiting_payment' AND refund_required = false
    RETURNING id
), job AS (
    INSERT INTO invoice_jobs
        (order_id, state, attempts, next_attempt_at, message_id, created_at, updated_at)
    SELECT id, 'pending', 0, now(), '<invoice-' || id || '@shop.invoices>', now(), now() FROM moved
    ON CONFLICT (order_id) DO NOTHING
), event AS (
    INSERT INTO payment_events (id, order_id, status, outcome, detail, created_at)
    SELECT lpad(to_hex(:n::bigint), 32, '0')::uuid, id, 'paid', 'confirmed', '', now() FROM moved
)
SELECT count(*) AS moved FROM moved;
