use std::time::Duration;

use futures::future::join_all;
use shop_proto::inventory::{reasons, v1 as pb};
use shop_testkit::{db::Backend, test_on_both_databases};
use tonic::Code;

use crate::helpers::{assert_code, bad_fields, new_id, reason, spawn_app, spawn_app_with};

test_on_both_databases! {
    fifty_concurrent_one_unit_reservations_against_stock_twenty_reserve_exactly_twenty => fifty_against_twenty;
    concurrent_reservations_over_the_same_products_in_any_order_all_succeed => no_deadlocks;
    reserving_is_all_or_nothing_and_names_every_product_short => all_or_nothing;
    lines_for_the_same_product_are_summed_before_the_check => lines_summed;
    reserving_again_with_the_same_id_reserves_nothing_more => idempotent_reserve;
    committing_takes_the_quantities_out_of_stock_exactly_once => idempotent_commit;
    releasing_returns_the_quantities_and_is_idempotent => idempotent_release;
    a_commit_after_stock_was_adjusted_below_the_reserved_amount_changes_nothing => commit_after_adjust;
    the_sweeper_releases_expired_reservations => expiry;
    bad_reservation_input_is_invalid_argument_naming_the_field => bad_reservation_input;
    unknown_reservations_and_products_are_not_found => unknown_reservation;
}

async fn fifty_against_twenty(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.create_product("HOT-1", 20).await;
    let attempts = (0..50).map(|_| {
        let app = &app;
        let product_id = product.id.clone();
        async move { app.reserve(&new_id(), &[(&product_id, 1)]).await }
    });
    let results = join_all(attempts).await;
    let succeeded = results.iter().filter(|r| r.is_ok()).count();
    for failure in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(failure.code(), Code::FailedPrecondition, "{failure:?}");
        assert_eq!(
            reason(failure).as_deref(),
            Some(reasons::INSUFFICIENT_STOCK)
        );
    }
    assert_eq!(succeeded, 20);
    app.assert_counters(&product.id, 20, 20, 0).await;
}

async fn no_deadlocks(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let a = app.create_product("A", 100).await.id;
    let b = app.create_product("B", 100).await.id;
    let c = app.create_product("C", 100).await.id;
    let orders = [[&a, &b, &c], [&c, &b, &a], [&b, &a, &c], [&c, &a, &b]];
    let attempts = (0..24).map(|i| {
        let app = &app;
        let [x, y, z] = orders[i % orders.len()];
        async move { app.reserve(&new_id(), &[(x, 1), (y, 2), (z, 1)]).await }
    });
    for result in join_all(attempts).await {
        result.expect("every reservation fits");
    }
    // Six reservations per order; the middle product of each takes 2.
    app.assert_counters(&a, 100, 36, 64).await;
    app.assert_counters(&b, 100, 36, 64).await;
    app.assert_counters(&c, 100, 24, 76).await;
}

async fn all_or_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let plenty = app.create_product("PLENTY", 10).await;
    let few = app.create_product("FEW", 2).await;
    let none = app.create_product("NONE", 0).await;
    let status = assert_code(
        app.reserve(&new_id(), &[(&plenty.id, 5), (&few.id, 3), (&none.id, 1)])
            .await,
        Code::FailedPrecondition,
    );
    assert!(status.message().contains(&few.id), "names FEW: {status:?}");
    assert!(
        status.message().contains(&none.id),
        "names NONE: {status:?}"
    );
    assert!(
        !status.message().contains(&plenty.id),
        "PLENTY is not short: {status:?}"
    );
    app.assert_counters(&plenty.id, 10, 0, 10).await;
    app.assert_counters(&few.id, 2, 0, 2).await;
    app.assert_counters(&none.id, 0, 0, 0).await;
}

async fn lines_summed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.create_product("MUG", 5).await;
    assert_code(
        app.reserve(&new_id(), &[(&product.id, 3), (&product.id, 3)])
            .await,
        Code::FailedPrecondition,
    );
    let reservation = app
        .reserve(&new_id(), &[(&product.id, 2), (&product.id, 3)])
        .await
        .unwrap();
    assert_eq!(reservation.lines.len(), 1);
    assert_eq!(reservation.lines[0].quantity, 5);
    app.assert_counters(&product.id, 5, 5, 0).await;
}

async fn idempotent_reserve(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let product = app.create_product("MUG", 10).await;
    let other = app.create_product("CUP", 10).await;
    let id = new_id();
    let first = app.reserve(&id, &[(&product.id, 4)]).await.unwrap();
    assert_eq!(first.state(), pb::ReservationState::Active);
    let again =
        join_all((0..5).map(|_| async { app.reserve(&id, &[(&product.id, 4)]).await })).await;
    for reservation in again {
        assert_eq!(reservation.unwrap(), first);
    }
    app.assert_counters(&product.id, 10, 4, 6).await;

    let status = assert_code(
        app.reserve(&id, &[(&product.id, 5)]).await,
        Code::AlreadyExists,
    );
    assert_eq!(
        reason(&status).as_deref(),
        Some(reasons::RESERVATION_MISMATCH)
    );
    assert_code(
        app.reserve(&id, &[(&other.id, 4)]).await,
        Code::AlreadyExists,
    );
    app.assert_counters(&product.id, 10, 4, 6).await;
    app.assert_counters(&other.id, 10, 0, 10).await;
}

async fn idempotent_commit(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", 10).await;
    let cup = app.create_product("CUP", 3).await;
    let id = new_id();
    app.reserve(&id, &[(&mug.id, 4), (&cup.id, 3)])
        .await
        .unwrap();
    app.assert_counters(&mug.id, 10, 4, 6).await;

    let commits = join_all((0..10).map(|_| app.commit(&id))).await;
    for committed in commits {
        assert_eq!(committed.unwrap().state(), pb::ReservationState::Committed);
    }
    app.assert_counters(&mug.id, 6, 0, 6).await;
    app.assert_counters(&cup.id, 0, 0, 0).await;
    assert_eq!(
        app.reservation(&id).await.state(),
        pb::ReservationState::Committed
    );

    let status = assert_code(app.release(&id).await, Code::FailedPrecondition);
    assert_eq!(
        reason(&status).as_deref(),
        Some(reasons::RESERVATION_COMMITTED)
    );
    app.assert_counters(&mug.id, 6, 0, 6).await;
}

async fn idempotent_release(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", 10).await;
    let id = new_id();
    app.reserve(&id, &[(&mug.id, 7)]).await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            app.release(&id).await.unwrap().state(),
            pb::ReservationState::Released
        );
    }
    app.assert_counters(&mug.id, 10, 0, 10).await;

    let status = assert_code(app.commit(&id).await, Code::FailedPrecondition);
    assert_eq!(
        reason(&status).as_deref(),
        Some(reasons::RESERVATION_RELEASED)
    );
    // Reserving with a released reservation's id returns it: nothing is reserved again.
    let again = app.reserve(&id, &[(&mug.id, 7)]).await.unwrap();
    assert_eq!(again.state(), pb::ReservationState::Released);
    app.assert_counters(&mug.id, 10, 0, 10).await;
}

async fn commit_after_adjust(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", 10).await;
    let cup = app.create_product("CUP", 10).await;
    let id = new_id();
    app.reserve(&id, &[(&mug.id, 2), (&cup.id, 8)])
        .await
        .unwrap();
    // Stock can be adjusted below what is reserved (e.g. breakage found at stocktake).
    let adjusted = app.adjust(&cup.id, -5).await.unwrap();
    assert_eq!(
        (adjusted.stock, adjusted.stock_reserved, adjusted.available),
        (5, 8, 0)
    );

    let status = assert_code(app.commit(&id).await, Code::FailedPrecondition);
    assert_eq!(
        reason(&status).as_deref(),
        Some(reasons::INSUFFICIENT_STOCK)
    );
    assert!(status.message().contains(&cup.id), "{status:?}");
    app.assert_counters(&mug.id, 10, 2, 8).await;
    app.assert_counters(&cup.id, 5, 8, 0).await;
    assert_eq!(
        app.reservation(&id).await.state(),
        pb::ReservationState::Active
    );

    // Once stock is back, the same commit succeeds.
    app.adjust(&cup.id, 3).await.unwrap();
    app.commit(&id).await.unwrap();
    app.assert_counters(&mug.id, 8, 0, 8).await;
    app.assert_counters(&cup.id, 0, 0, 0).await;
}

async fn expiry(backend: Backend) {
    let ttl = Duration::from_millis(400);
    let Some(app) = spawn_app_with(backend, |c| c.reservation_ttl = ttl).await else {
        return;
    };
    let mug = app.create_product("MUG", 5).await;
    let id = new_id();
    let reservation = app.reserve(&id, &[(&mug.id, 5)]).await.unwrap();
    let expires_at = reservation.expires_at.unwrap();
    let created_at = reservation.created_at.unwrap();
    let held_ms = (expires_at.seconds - created_at.seconds) * 1000
        + i64::from(expires_at.nanos - created_at.nanos) / 1_000_000;
    assert!(
        (390..=410).contains(&held_ms),
        "expires_at is created_at + ttl: {held_ms} ms"
    );
    app.assert_counters(&mug.id, 5, 5, 0).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let p = app.product(&mug.id).await;
        if p.stock_reserved == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sweeper never released the stock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.assert_counters(&mug.id, 5, 0, 5).await;
    assert_eq!(
        app.reservation(&id).await.state(),
        pb::ReservationState::Expired
    );
    let status = assert_code(app.commit(&id).await, Code::FailedPrecondition);
    assert_eq!(
        reason(&status).as_deref(),
        Some(reasons::RESERVATION_EXPIRED)
    );
    assert_eq!(
        app.release(&id).await.unwrap().state(),
        pb::ReservationState::Expired
    );
    app.assert_counters(&mug.id, 5, 0, 5).await;
}

async fn bad_reservation_input(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", 5).await;
    let cases = [
        ("reservation_id", app.reserve("nope", &[(&mug.id, 1)]).await),
        ("lines", app.reserve(&new_id(), &[]).await),
        (
            "lines[0].product_id",
            app.reserve(&new_id(), &[("mug", 1)]).await,
        ),
        (
            "lines[1].quantity",
            app.reserve(&new_id(), &[(&mug.id, 1), (&mug.id, 0)]).await,
        ),
        (
            "lines[0].quantity",
            app.reserve(&new_id(), &[(&mug.id, -3)]).await,
        ),
        ("reservation_id", app.commit("").await),
        ("reservation_id", app.release("123").await),
    ];
    for (field, result) in cases {
        let status = assert_code(result, Code::InvalidArgument);
        assert!(
            status.message().starts_with(field),
            "message names {field}: {status:?}"
        );
        assert_eq!(bad_fields(&status), vec![field.to_string()]);
    }
    app.assert_counters(&mug.id, 5, 0, 5).await;
}

async fn unknown_reservation(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mug = app.create_product("MUG", 5).await;
    let missing = new_id();
    assert_code(app.commit(&missing).await, Code::NotFound);
    assert_code(app.release(&missing).await, Code::NotFound);
    let status = assert_code(
        app.client
            .clone()
            .get_reservation(pb::GetReservationRequest {
                reservation_id: missing.clone(),
            })
            .await,
        Code::NotFound,
    );
    assert!(status.message().contains(&missing));

    let ghost = new_id();
    let id = new_id();
    let status = assert_code(
        app.reserve(&id, &[(&mug.id, 1), (&ghost, 1)]).await,
        Code::NotFound,
    );
    assert!(status.message().contains(&ghost), "{status:?}");
    app.assert_counters(&mug.id, 5, 0, 5).await;
    assert_code(
        app.client
            .clone()
            .get_reservation(pb::GetReservationRequest { reservation_id: id })
            .await,
        Code::NotFound,
    );
}
