-- BEFORE (until 2026-12-07): one confirmation's database work as the services issued it for a
-- paid webhook on PostgreSQL (13 statements in 4 transactions, captured with log_statement =
-- all; see BENCHMARKS.md), kept for `compare --versus … --versus-baseline-script`, with
-- the ids that seed.sql derived from the order number. Every client confirms its own
-- :per_client orders once each, in turn, as the webhooks of the service benchmark do.
--
-- usage: pgbench -n -M prepared -c C -t PER -D i=0 -D per_client=PER -D nproducts=P -f confirm.sql DB

\set i :i + 1
\set n :client_id * :per_client + :i - 1
\set a (:n * 7919) % :nproducts
\set b (:a + 1 + (:n * 104729) % (:nproducts - 1)) % :nproducts
\set qa 1 + :n % 3
-- Inventory updates the products in product-id order (its lock order).
\set lo least(:a, :b)
\set hi greatest(:a, :b)
\set qlo CASE WHEN :a < :b THEN :qa ELSE 1 END
\set qhi CASE WHEN :a < :b THEN 1 ELSE :qa END

-- orders: RecordPayment loads the order with its items (outside a transaction).
SELECT "orders"."id" AS "A_id", "orders"."status" AS "A_status", "orders"."customer_email" AS "A_customer_email", "orders"."customer_name" AS "A_customer_name", "orders"."customer_address" AS "A_customer_address", "orders"."currency" AS "A_currency", "orders"."total_minor" AS "A_total_minor", "orders"."reservation_id" AS "A_reservation_id", "orders"."payment_deadline" AS "A_payment_deadline", "orders"."cancel_reason" AS "A_cancel_reason", "orders"."refund_required" AS "A_refund_required", "orders"."request_id" AS "A_request_id", "orders"."created_at" AS "A_created_at", "orders"."updated_at" AS "A_updated_at", "order_items"."order_id" AS "B_order_id", "order_items"."position" AS "B_position", "order_items"."product_id" AS "B_product_id", "order_items"."name" AS "B_name", "order_items"."quantity" AS "B_quantity", "order_items"."unit_price_minor" AS "B_unit_price_minor", "order_items"."tax_rate_bp" AS "B_tax_rate_bp" FROM "orders" LEFT JOIN "order_items" ON "orders"."id" = "order_items"."order_id" WHERE "orders"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid ORDER BY "order_items"."position" ASC;

-- inventory: CommitReservation (the reservation's row locked, its lines read with it).
BEGIN;
SELECT "reservations"."id" AS "A_id", "reservations"."state" AS "A_state", "reservations"."expires_at" AS "A_expires_at", "reservations"."created_at" AS "A_created_at", "reservations"."updated_at" AS "A_updated_at", "reservation_lines"."reservation_id" AS "B_reservation_id", "reservation_lines"."product_id" AS "B_product_id", "reservation_lines"."quantity" AS "B_quantity" FROM "reservations" LEFT JOIN "reservation_lines" ON "reservations"."id" = "reservation_lines"."reservation_id" WHERE "reservations"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid FOR UPDATE OF "reservations";
UPDATE "products" SET "stock" = "stock" - :qlo, "stock_reserved" = "stock_reserved" - :qlo, "updated_at" = now() WHERE "products"."id" = lpad(to_hex(:lo + 281474976710656), 32, '0')::uuid AND "products"."stock" >= :qlo;
UPDATE "products" SET "stock" = "stock" - :qhi, "stock_reserved" = "stock_reserved" - :qhi, "updated_at" = now() WHERE "products"."id" = lpad(to_hex(:hi + 281474976710656), 32, '0')::uuid AND "products"."stock" >= :qhi;
UPDATE "reservations" SET "state" = 'committed', "updated_at" = now() WHERE "reservations"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid;
COMMIT;

-- orders: confirm_paid (row lock, compare-and-set, invoice job, payment event).
BEGIN;
SELECT "orders"."id" AS "A_id", "orders"."status" AS "A_status", "orders"."customer_email" AS "A_customer_email", "orders"."customer_name" AS "A_customer_name", "orders"."customer_address" AS "A_customer_address", "orders"."currency" AS "A_currency", "orders"."total_minor" AS "A_total_minor", "orders"."reservation_id" AS "A_reservation_id", "orders"."payment_deadline" AS "A_payment_deadline", "orders"."cancel_reason" AS "A_cancel_reason", "orders"."refund_required" AS "A_refund_required", "orders"."request_id" AS "A_request_id", "orders"."created_at" AS "A_created_at", "orders"."updated_at" AS "A_updated_at", "order_items"."order_id" AS "B_order_id", "order_items"."position" AS "B_position", "order_items"."product_id" AS "B_product_id", "order_items"."name" AS "B_name", "order_items"."quantity" AS "B_quantity", "order_items"."unit_price_minor" AS "B_unit_price_minor", "order_items"."tax_rate_bp" AS "B_tax_rate_bp" FROM "orders" LEFT JOIN "order_items" ON "orders"."id" = "order_items"."order_id" WHERE "orders"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid ORDER BY "order_items"."position" ASC FOR UPDATE OF "orders";
UPDATE "orders" SET "status" = 'confirmed', "updated_at" = now(), "reservation_id" = lpad(to_hex(:n::bigint), 32, '0')::uuid, "refund_required" = false WHERE "orders"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid AND "orders"."status" = 'awaiting_payment';
INSERT INTO "invoice_jobs" ("order_id", "state", "attempts", "next_attempt_at", "locked_until", "last_error", "message_id", "sent_at", "created_at", "updated_at") VALUES (lpad(to_hex(:n::bigint), 32, '0')::uuid, 'pending', 0, now(), NULL, NULL, '<invoice-' || lpad(to_hex(:n::bigint), 32, '0')::uuid || '@shop.invoices>', NULL, now(), now()) ON CONFLICT ("order_id") DO NOTHING;
INSERT INTO "payment_events" ("id", "order_id", "status", "outcome", "detail", "created_at") VALUES (lpad(to_hex(:n::bigint), 32, '0')::uuid, lpad(to_hex(:n::bigint), 32, '0')::uuid, 'paid', 'confirmed', '', now()) RETURNING "id", "order_id", "status", "outcome", "detail", "created_at";
COMMIT;
