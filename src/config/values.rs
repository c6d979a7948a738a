//! Parsers for the value forms configuration uses beyond plain TOML: durations, rates,
//! IP ranges and secrets.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use ipnet::IpNet;

use super::file::DurationText;

/// A rate limit: `count` events per `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Events allowed in one period.
    pub count: u32,
    /// The period.
    pub per: Duration,
}

/// `"30s"`, `"10m"`, `"1h"`, `"7d"`, digits, or a TOML integer: seconds.
pub fn duration(value: &DurationText) -> Result<Duration, String> {
    let text = match value {
        DurationText::Seconds(secs) => return Ok(Duration::from_secs(*secs)),
        DurationText::Text(text) => text.trim(),
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let unit_secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "expected a duration like 30s, 10m, 1h or 7d, got {text:?}"
            ));
        }
    };
    let count: u64 = digits
        .parse()
        .map_err(|_| format!("expected a duration like 30s, 10m, 1h or 7d, got {text:?}"))?;
    count
        .checked_mul(unit_secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// `"N/s"`, `"N/m"`, `"N/h"`, or `"off"` (`None`).
pub fn rate(text: &str) -> Result<Option<Rate>, String> {
    let text = text.trim();
    if text == "off" {
        return Ok(None);
    }
    let bad = || format!("expected N/s, N/m, N/h or off, got {text:?}");
    let (count, unit) = text.split_once('/').ok_or_else(bad)?;
    let per = match unit {
        "s" => Duration::from_secs(1),
        "m" => Duration::from_secs(60),
        "h" => Duration::from_secs(3600),
        _ => return Err(bad()),
    };
    let count: u32 = count.parse().map_err(|_| bad())?;
    if count == 0 {
        return Err(format!(
            "{text:?} allows nothing; write \"off\" to disable the limit instead"
        ));
    }
    Ok(Some(Rate { count, per }))
}

/// An IP address (a one-address range) or a CIDR range.
pub fn ip_range(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("expected an IP address or CIDR range, got {text:?}"))
}

/// Base64 in either alphabet, padded or not.
pub fn secret_bytes(text: &str) -> Result<Vec<u8>, String> {
    const LENIENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let text = text.trim();
    GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT)
        .decode(text)
        .or_else(|_| GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT).decode(text))
        .map_err(|_| "is not base64 (url-safe or standard)".to_owned())
}

/// Encodes a fresh secret the way `latchkey init` writes it.
#[must_use]
pub fn encode_secret(bytes: &[u8]) -> String {
    general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_or_seconds() {
        let d = |s: &str| duration(&DurationText::Text(s.to_owned()));
        assert_eq!(d("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(d("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(d("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(d("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(d("45"), Ok(Duration::from_secs(45)));
        assert_eq!(
            duration(&DurationText::Seconds(5)),
            Ok(Duration::from_secs(5))
        );
        for bad in [
            "",
            "m",
            "10 m",
            "1.5h",
            "-1s",
            "10w",
            "99999999999999999999d",
        ] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_take_three_units_and_off() {
        assert_eq!(
            rate("20/h"),
            Ok(Some(Rate {
                count: 20,
                per: Duration::from_secs(3600)
            }))
        );
        assert_eq!(rate("5/m").unwrap().unwrap().per, Duration::from_secs(60));
        assert_eq!(rate("off"), Ok(None));
        for bad in ["20", "20/d", "x/m", "0/m", "-1/s", "/m"] {
            assert!(rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ip_ranges_take_addresses_and_cidrs() {
        assert_eq!(ip_range("10.0.0.1").unwrap().to_string(), "10.0.0.1/32");
        assert_eq!(ip_range("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(ip_range("::1").unwrap().to_string(), "::1/128");
        assert!(ip_range("10.0.0.0/33").is_err());
        assert!(ip_range("localhost").is_err());
    }

    #[test]
    fn secrets_decode_in_either_alphabet() {
        assert_eq!(secret_bytes("_-8").unwrap(), [0xff, 0xef]);
        assert_eq!(secret_bytes("/+8=").unwrap(), [0xff, 0xef]);
        assert!(secret_bytes("not base64!").is_err());
    }
}
