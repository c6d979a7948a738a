//! The public JWK of an `EdDSA` or ES256 key (RFC 7517 §4, RFC 8037 §2, RFC 7518 §6.2.1), as
//! `/.well-known/jwks.json` lists it. Only public members exist here, so nothing private can be
//! serialized by mistake.

use serde::Serialize;

use super::algorithm::Algorithm;
use super::b64;

/// A public signing key as a JSON Web Key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Jwk {
    /// Key type: `OKP` for Ed25519, `EC` for P-256.
    pub kty: &'static str,
    /// Curve: `Ed25519` or `P-256`.
    pub crv: &'static str,
    /// The public key (Ed25519) or its x coordinate (P-256), base64url.
    pub x: String,
    /// The y coordinate (P-256 only), base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// The key id, as in token headers.
    pub kid: String,
    /// The `alg` of tokens this key signs: `EdDSA` or `ES256`.
    pub alg: &'static str,
    /// Always `sig`: the key verifies signatures, nothing else.
    pub r#use: &'static str,
}

impl Jwk {
    /// The JWK for `public_key` as ring holds it (32 bytes for Ed25519; `04 || x || y` for
    /// P-256). `None` for HS256 or a public key of the wrong shape.
    pub(crate) fn new(algorithm: Algorithm, kid: &str, public_key: &[u8]) -> Option<Self> {
        let (kty, crv, x, y) = match (algorithm, public_key) {
            (Algorithm::EdDsa, x) if x.len() == 32 => ("OKP", "Ed25519", x, None),
            (Algorithm::Es256, [0x04, xy @ ..]) if xy.len() == 64 => {
                let (x, y) = xy.split_at(32);
                ("EC", "P-256", x, Some(b64::encode(y)))
            }
            _ => return None,
        };
        Some(Self {
            kty,
            crv,
            x: b64::encode(x),
            y,
            kid: kid.to_owned(),
            alg: algorithm.as_str(),
            r#use: "sig",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_exactly_the_public_members() {
        let ed = Jwk::new(Algorithm::EdDsa, "k1", &[7; 32]).unwrap();
        assert_eq!(
            serde_json::to_string(&ed).unwrap(),
            format!(
                r#"{{"kty":"OKP","crv":"Ed25519","x":"{}","kid":"k1","alg":"EdDSA","use":"sig"}}"#,
                b64::encode(&[7; 32])
            )
        );
        let mut point = vec![4];
        point.extend([1; 32]);
        point.extend([2; 32]);
        let ec = serde_json::to_value(Jwk::new(Algorithm::Es256, "k2", &point).unwrap()).unwrap();
        let names: Vec<&str> = ec.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(names.len(), 7);
        for name in ["kty", "crv", "x", "y", "kid", "alg", "use"] {
            assert!(names.contains(&name), "{name}");
        }
        assert_eq!(ec["y"], b64::encode(&[2; 32]));
        assert_eq!(ec["crv"], "P-256");
    }

    #[test]
    fn has_no_jwk_for_secrets_or_odd_points() {
        assert_eq!(Jwk::new(Algorithm::Hs256, "k", &[0; 32]), None);
        assert_eq!(Jwk::new(Algorithm::EdDsa, "k", &[0; 31]), None);
        assert_eq!(Jwk::new(Algorithm::Es256, "k", &[2; 33]), None);
        assert_eq!(Jwk::new(Algorithm::Es256, "k", &[4; 64]), None);
    }
}
