//! The files deploy/README.md makes with openssl for the TLS overlay: `ca.crt`, and `tls.crt`
//! with `tls.key`, one certificate for the names inventory, orders, localhost and 127.0.0.1,
//! good for server and client authentication.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// Writes `ca.crt`, `tls.crt` and `tls.key` into `dir`.
pub fn write_tls_files(dir: &Path) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "shop internal CA (test)");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();

    let names = ["inventory", "orders", "localhost", "127.0.0.1"].map(str::to_owned);
    let mut leaf = CertificateParams::new(names.to_vec()).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "shop-grpc");
    leaf.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &ca).unwrap();

    for (name, pem) in [
        ("ca.crt", ca.pem()),
        ("tls.crt", cert.pem()),
        ("tls.key", key.serialize_pem()),
    ] {
        std::fs::write(dir.join(name), pem).unwrap();
    }
}
