-- One confirmation's database work as the services issued it BEFORE the optimisations of
-- BENCHMARKS.md (16 statements: order and items, reservation and lines read separately),
-- kept to reproduce the "before" baseline (`shop-bench baseline --script` this file). Same
-- conventions as confirm.sql,
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

-- orders: RecordPayment loads the order and its items (outside a transaction).
SELECT "orders"."id", "orders"."status", "orders"."customer_email", "orders"."customer_name", "orders"."currency", "orders"."total_minor", "orders"."reservation_id", "orders"."payment_deadline", "orders"."cancel_reason", "orders"."refund_required", "orders"."request_id", "orders"."created_at", "orders"."updated_at" FROM "orders" WHERE "orders"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid LIMIT 1;
SELECT "order_items"."order_id", "order_items"."position", "order_items"."product_id", "order_items"."name", "order_items"."quantity", "order_items"."unit_price_minor" FROM "order_items" WHERE "order_items"."order_id" IN (lpad(to_hex(:n::bigint), 32, '0')::uuid) ORDER BY "order_items"."order_id" ASC, "order_items"."position" ASC;

-- inventory: CommitReservation.
BEGIN;
SELECT "reservations"."id", "reservations"."state", "reservations"."expires_at", "reservations"."created_at", "reservations"."updated_at" FROM "reservations" WHERE "reservations"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid LIMIT 1 FOR UPDATE;
SELECT "reservation_lines"."reservation_id", "reservation_lines"."product_id", "reservation_lines"."quantity" FROM "reservation_lines" WHERE "reservation_lines"."reservation_id" = lpad(to_hex(:n::bigint), 32, '0')::uuid;
UPDATE "products" SET "stock" = "stock" - :qlo, "stock_reserved" = "stock_reserved" - :qlo, "updated_at" = now() WHERE "products"."id" = lpad(to_hex(:lo + 281474976710656), 32, '0')::uuid AND "products"."stock" >= :qlo;
UPDATE "products" SET "stock" = "stock" - :qhi, "stock_reserved" = "stock_reserved" - :qhi, "updated_at" = now() WHERE "products"."id" = lpad(to_hex(:hi + 281474976710656), 32, '0')::uuid AND "products"."stock" >= :qhi;
UPDATE "reservations" SET "state" = 'committed', "updated_at" = now() WHERE "reservations"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid;
COMMIT;

-- orders: confirm_paid (row lock, compare-and-set, invoice job, payment event).
BEGIN;
SELECT "orders"."id", "orders"."status", "orders"."customer_email", "orders"."customer_name", "orders"."currency", "orders"."total_minor", "orders"."reservation_id", "orders"."payment_deadline", "orders"."cancel_reason", "orders"."refund_required", "orders"."request_id", "orders"."created_at", "orders"."updated_at" FROM "orders" WHERE "orders"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid LIMIT 1 FOR UPDATE;
SELECT "order_items"."order_id", "order_items"."position", "order_items"."product_id", "order_items"."name", "order_items"."quantity", "order_items"."unit_price_minor" FROM "order_items" WHERE "order_items"."order_id" IN (lpad(to_hex(:n::bigint), 32, '0')::uuid) ORDER BY "order_items"."order_id" ASC, "order_items"."position" ASC;
UPDATE "orders" SET "status" = 'confirmed', "updated_at" = now(), "reservation_id" = lpad(to_hex(:n::bigint), 32, '0')::uuid, "refund_required" = false WHERE "orders"."id" = lpad(to_hex(:n::bigint), 32, '0')::uuid AND "orders"."status" = 'awaiting_payment';
INSERT INTO "invoice_jobs" ("order_id", "state", "attempts", "next_attempt_at", "locked_until", "last_error", "message_id", "sent_at", "created_at", "updated_at") VALUES (lpad(to_hex(:n::bigint), 32, '0')::uuid, 'pending', 0, now(), NULL, NULL, '<invoice-' || lpad(to_hex(:n::bigint), 32, '0')::uuid || '@shop.invoices>', NULL, now(), now()) ON CONFLICT ("order_id") DO NOTHING;
INSERT INTO "payment_events" ("id", "order_id", "status", "outcome", "detail", "created_at") VALUES (lpad(to_hex(:n::bigint), 32, '0')::uuid, lpad(to_hex(:n::bigint), 32, '0')::uuid, 'paid', 'confirmed', '', now()) RETURNING "id", "order_id", "status", "outcome", "detail", "created_at";
COMMIT;
