//! Simulated time: integer nanoseconds, so ordering never depends on float rounding.

/// An instant of simulated time in nanoseconds since the start of the run.
pub type SimTime = u64;
/// A span of simulated time in nanoseconds.
pub type Duration = u64;

pub const NS_PER_MS: u64 = 1_000_000;
pub const NS_PER_S: u64 = 1_000_000_000;

/// Whole seconds from an API field (which may be negative or huge) to nanoseconds, clamped so
/// that no arithmetic on it can overflow.
pub fn secs_field_ns(seconds: i64) -> u64 {
    (seconds.max(0) as u64)
        .saturating_mul(NS_PER_S)
        .min(u64::MAX / 4)
}

/// Seconds as a float, for reports only (never for ordering).
pub fn to_secs(t_ns: u64) -> f64 {
    t_ns as f64 / NS_PER_S as f64
}

/// Parses a Go-style duration such as `90s`, `1h30m`, `250ms`, `2d` into nanoseconds.
/// Units: ns, us (or µs), ms, s, m, h, d. A bare `0` is accepted; any other number needs a unit
/// so that "10" can never silently mean ten nanoseconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let bad = || {
        format!("invalid duration {text:?}: expected a number with a unit, like 90s, 10m, 1h30m, 250ms or 2d")
    };
    let mut total: u128 = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        if start == i {
            return Err(bad());
        }
        let number = &s[start..i];
        let unit_start = i;
        while i < bytes.len() && !(bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let unit = &s[unit_start..i];
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            "d" => 86_400 * 1_000_000_000,
            _ => return Err(bad()),
        };
        total += scale_decimal(number, scale).ok_or_else(bad)?;
    }
    u64::try_from(total).map_err(|_| format!("duration {text:?} is too long"))
}

/// Multiplies a decimal literal by an integer scale without going through floats.
fn scale_decimal(number: &str, scale: u128) -> Option<u128> {
    let (int_part, frac_part) = match number.split_once('.') {
        Some((a, b)) => (a, b),
        None => (number, ""),
    };
    if frac_part.contains('.') || (int_part.is_empty() && frac_part.is_empty()) {
        return None;
    }
    let int_val: u128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut value = int_val.checked_mul(scale)?;
    let mut divisor: u128 = 1;
    let mut frac_val: u128 = 0;
    for c in frac_part.chars().take(18) {
        frac_val = frac_val * 10 + c.to_digit(10)? as u128;
        divisor *= 10;
    }
    value += frac_val * scale / divisor;
    Some(value)
}

/// Formats nanoseconds the way the CLI prints durations: `1h2m3.5s`, `250ms`.
pub fn format_duration(ns: Duration) -> String {
    if ns == 0 {
        return "0s".into();
    }
    if ns < NS_PER_S {
        let ms = ns as f64 / NS_PER_MS as f64;
        return format!("{}ms", trim_float(ms));
    }
    let total_s = ns / NS_PER_S;
    let frac_ns = ns % NS_PER_S;
    let (h, m, s) = (total_s / 3600, (total_s / 60) % 60, total_s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || frac_ns > 0 {
        let secs = s as f64 + frac_ns as f64 / NS_PER_S as f64;
        out.push_str(&format!("{}s", trim_float(secs)));
    }
    out
}

fn trim_float(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_durations() {
        assert_eq!(parse_duration("90s").unwrap(), 90 * NS_PER_S);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400 * NS_PER_S);
        assert_eq!(parse_duration("250ms").unwrap(), 250 * NS_PER_MS);
        assert_eq!(parse_duration("1.5s").unwrap(), 1_500 * NS_PER_MS);
        assert_eq!(parse_duration("2d").unwrap(), 2 * 86_400 * NS_PER_S);
        assert_eq!(parse_duration("0").unwrap(), 0);
    }

    #[test]
    fn rejects_durations_without_units() {
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1..2s").is_err());
    }

    #[test]
    fn formats_durations() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(250 * NS_PER_MS), "250ms");
        assert_eq!(format_duration(3723 * NS_PER_S + NS_PER_S / 2), "1h2m3.5s");
    }
}
