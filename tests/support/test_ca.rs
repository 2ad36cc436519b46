//! TLS material for the tests that run real servers (Dovecot, aiosmtpd), made with
//! rcgen: a private CA and a server certificate signed by it, for 127.0.0.1 and
//! localhost unless the test asks for another name or an expired one.

#![allow(dead_code)]

pub struct TestCa {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    /// A certificate for 127.0.0.1 and localhost.
    pub fn new() -> TestCa {
        TestCa::make(&["localhost", "127.0.0.1"], false)
    }

    /// The server's certificate ran out in 2020.
    pub fn expired() -> TestCa {
        TestCa::make(&["localhost", "127.0.0.1"], true)
    }

    /// A certificate for other names (a server answering with the wrong one).
    pub fn for_names(names: &[&str]) -> TestCa {
        TestCa::make(names, false)
    }

    fn make(names: &[&str], expired: bool) -> TestCa {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "firstline test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca_pem = params.self_signed(&ca_key).unwrap().pem();
        let issuer = Issuer::new(params, ca_key);
        let mut server =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        if expired {
            server.not_before = rcgen::date_time_ymd(2020, 1, 1);
            server.not_after = rcgen::date_time_ymd(2020, 12, 31);
        }
        let key = KeyPair::generate().unwrap();
        let cert = server.signed_by(&key, &issuer).unwrap();
        TestCa {
            ca_pem,
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes the CA (what a client trusts) to `dir/name` and returns the path.
    pub fn write_ca(&self, dir: &std::path::Path, name: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, &self.ca_pem).unwrap();
        path
    }
}
