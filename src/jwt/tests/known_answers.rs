//! RFC 7515 Appendix A.1: the HS256 example, checked piece by piece with the routines `verify`
//! uses.

use super::super::decode::{Parts, Signature};
use super::super::{Error, Key, b64};
use super::{HEADER, claims, enc, forge_header, ring, rules};

const A1_HEADER: &[u8] = b"{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
const A1_PAYLOAD: &[u8] =
    b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
const A1_HEADER_B64: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
const A1_PAYLOAD_B64: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt\
                              cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const A1_KEY_JWK_K: &str = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4h\
                            cgUuTwjAzZr1Z9CAow";
const A1_MAC: [u8; 32] = [
    116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
    105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
];
const A1_SIGNATURE_B64: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn a1_token() -> String {
    format!("{A1_HEADER_B64}.{A1_PAYLOAD_B64}.{A1_SIGNATURE_B64}")
}

fn a1_key() -> Key {
    Key::from_secret("a1", &b64::decode(A1_KEY_JWK_K.as_bytes()).unwrap()).unwrap()
}

#[test]
fn a1_segments_encode_to_the_rfc_text() {
    assert_eq!(enc(A1_HEADER), A1_HEADER_B64);
    assert_eq!(enc(A1_PAYLOAD), A1_PAYLOAD_B64);
    assert_eq!(enc(&A1_MAC), A1_SIGNATURE_B64);
}

#[test]
fn a1_signing_input_and_mac_match_the_rfc() {
    let token = a1_token();
    let parts = Parts::split(&token).unwrap();
    assert_eq!(
        parts.signing_input,
        format!("{A1_HEADER_B64}.{A1_PAYLOAD_B64}").as_bytes()
    );
    // The RFC lists the signing input as ASCII octets; spot-check both ends.
    assert_eq!(&parts.signing_input[..4], &[101, 121, 74, 48]);
    assert_eq!(
        &parts.signing_input[parts.signing_input.len() - 3..],
        &[108, 102, 81]
    );
    let mut mac = [0; 64];
    let len = a1_key().sign_bytes(parts.signing_input, &mut mac);
    assert_eq!(mac[..len], A1_MAC);
}

#[test]
fn a1_signature_passes_the_same_check_verify_uses() {
    let token = a1_token();
    let parts = Parts::split(&token).unwrap();
    let tag = Signature::decode(parts.signature).unwrap();
    assert_eq!(tag.as_bytes(), A1_MAC);
    assert_eq!(
        a1_key().verify_bytes(parts.signing_input, tag.as_bytes()),
        Ok(())
    );
    let mut wrong = A1_MAC;
    wrong[31] ^= 1;
    assert_eq!(
        a1_key().verify_bytes(parts.signing_input, &wrong),
        Err(Error::Signature)
    );
}

#[test]
fn a1_token_as_a_whole_is_refused_for_its_header() {
    // The RFC's spelling (CRLF and spaces) is fine, but its header has no kid.
    let mut ring = super::ring();
    ring.add_verify_only(a1_key()).unwrap();
    assert_eq!(ring.verify(&a1_token(), &rules()), Err(Error::KidMissing));
}

#[test]
fn own_tokens_use_the_canonical_header_and_verify() {
    let token = ring().sign(&claims());
    assert!(token.starts_with(&format!("{}.", enc(HEADER.as_bytes()))));
    assert_eq!(token, forge_header(HEADER));
    assert_eq!(ring().verify(&token, &rules()), Ok(claims()));
}
