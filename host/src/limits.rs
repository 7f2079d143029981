//! What a run may consume: wall-clock time, fuel, linear memory and output, and their units on the
//! command line (`2s`, `500ms`, `256M`, `1M`).

use std::time::Duration;

/// The limits of one run. `None` is unlimited.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    pub timeout: Option<Duration>,
    pub fuel: Option<u64>,
    /// Linear memory, in bytes.
    pub memory: Option<u64>,
    /// Bytes kept per output stream.
    pub max_output: Option<u64>,
}

/// A duration: a number with a unit of `ms`, `s`, `m` or `h` (`s` when there is none), e.g. `2s`,
/// `1.5s`, `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = split_number(text);
    let scale = match unit {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("unknown unit {unit:?} in duration {text:?} (use ms, s, m or h)")),
    };
    let value: f64 = number.parse().map_err(|_| format!("invalid duration {text:?} (e.g. 2s, 500ms)"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("invalid duration {text:?}: it must be greater than zero"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// A size in bytes: a number with an optional binary unit `K`, `M` or `G` (also `KiB`, `MB`…),
/// e.g. `64M`, `1M`, `4096`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (number, unit) = split_number(text);
    let scale: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("unknown unit {unit:?} in size {text:?} (use K, M or G)")),
    };
    let value: u64 = number.parse().map_err(|_| format!("invalid size {text:?} (e.g. 64M, 1M, 4096)"))?;
    value.checked_mul(scale).ok_or_else(|| format!("size {text:?} is too large"))
}

/// A fuel amount: a plain count of wasm operations.
pub fn parse_fuel(text: &str) -> Result<u64, String> {
    text.replace('_', "").parse().map_err(|_| format!("invalid fuel {text:?} (a whole number, e.g. 1000000000)"))
}

fn split_number(text: &str) -> (&str, &str) {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("2 days").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1k"), Ok(1024));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("1T").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }

    #[test]
    fn fuel() {
        assert_eq!(parse_fuel("1_000"), Ok(1000));
        assert!(parse_fuel("-1").is_err());
    }
}
