//! Kubernetes resource quantities (`500m`, `4`, `448Gi`, `1e3`), kept as integer milli-units so
//! that fit checks never round the way floats do.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A quantity in thousandths of its unit (cpu `500m` = 500; memory `1Ki` = 1_024_000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Quantity {
    pub milli: i64,
}

impl Quantity {
    #[cfg(test)]
    pub(crate) fn from_units(units: i64) -> Self {
        Quantity {
            milli: units * 1000,
        }
    }

    /// Parses the Kubernetes quantity grammar. Fractions of a milli-unit round up, as the
    /// API server's `MilliValue` does.
    pub(crate) fn parse(text: &str) -> Result<Quantity, String> {
        let s = text.trim();
        let bad = || {
            format!(
                "invalid quantity {text:?}: expected a number with an optional suffix, like 4, 500m, 16Gi or 1e3"
            )
        };
        if s.is_empty() {
            return Err(bad());
        }
        let (negative, body) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (number, suffix) = body.split_at(num_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(bad());
        }
        // value = mantissa / 10^frac_digits * 2^bin_exp * 10^dec_exp
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let digits = format!("{int_part}{frac_part}");
        let mantissa: i128 = digits.parse().map_err(|_| bad())?;
        let mut dec_exp: i32 = -(frac_part.len() as i32);
        let mut bin_exp: u32 = 0;
        match suffix {
            "" => {}
            "n" => dec_exp -= 9,
            "u" => dec_exp -= 6,
            "m" => dec_exp -= 3,
            "k" => dec_exp += 3,
            "M" => dec_exp += 6,
            "G" => dec_exp += 9,
            "T" => dec_exp += 12,
            "P" => dec_exp += 15,
            "E" => dec_exp += 18,
            "Ki" => bin_exp = 10,
            "Mi" => bin_exp = 20,
            "Gi" => bin_exp = 30,
            "Ti" => bin_exp = 40,
            "Pi" => bin_exp = 50,
            "Ei" => bin_exp = 60,
            other if other.starts_with(['e', 'E']) => {
                let e: i32 = other[1..].parse().map_err(|_| bad())?;
                dec_exp += e;
            }
            _ => return Err(bad()),
        }
        // Milli-units: one more factor of 10^3.
        dec_exp += 3;
        let too_big = || format!("quantity {text:?} is too large");
        let mut value: i128 = mantissa.checked_mul(1i128 << bin_exp).ok_or_else(too_big)?;
        if dec_exp >= 0 {
            for _ in 0..dec_exp {
                value = value.checked_mul(10).ok_or_else(too_big)?;
            }
        } else {
            let mut divisor: i128 = 1;
            for _ in 0..(-dec_exp) {
                divisor = divisor.checked_mul(10).ok_or_else(too_big)?;
            }
            value = (value + divisor - 1) / divisor;
        }
        if negative {
            value = -value;
        }
        let milli = i64::try_from(value).map_err(|_| too_big())?;
        Ok(Quantity { milli })
    }

    /// A byte count as people write it: the largest binary suffix that divides it exactly
    /// (`128Gi`, `1536Mi`), else `1.3GiB`-style rounding past 1 Ki; small or fractional values
    /// as `display`.
    pub(crate) fn display_bytes(&self) -> String {
        const SUFFIXES: [&str; 5] = ["Ki", "Mi", "Gi", "Ti", "Pi"];
        if self.milli % 1000 != 0 || self.milli < 1024 * 1000 {
            return self.display();
        }
        let bytes = self.milli / 1000;
        let mut exact = None;
        let mut rounded = None;
        for (k, suffix) in SUFFIXES.iter().enumerate() {
            let unit = 1i64 << (10 * (k + 1));
            if bytes < unit {
                break;
            }
            if bytes % unit == 0 {
                exact = Some(format!("{}{suffix}", bytes / unit));
            }
            rounded = Some(format!("{:.1}{suffix}B", bytes as f64 / unit as f64));
        }
        exact.or(rounded).unwrap_or_else(|| self.display())
    }

    /// A readable rendering for messages: whole units when exact, else milli-units.
    pub(crate) fn display(&self) -> String {
        if self.milli % 1000 == 0 {
            format!("{}", self.milli / 1000)
        } else {
            format!("{}m", self.milli)
        }
    }
}

/// A quantity's text: a number or a string, read by hand: an `untagged` enum would say only
/// "did not match any variant" for a list or a mapping (a YAML merge key, `<<: *anchor`, lands
/// here).
struct QuantityText;

impl serde::de::Visitor<'_> for QuantityText {
    type Value = String;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a quantity, like 4, 500m, 16Gi or 1e3")
    }
    fn visit_i64<E>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E>(self, v: f64) -> Result<String, E> {
        Ok(format!("{v}"))
    }
    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(WrittenQuantity::deserialize(d)?.quantity)
    }
}

/// A quantity with its text as the manifest writes it (`8Gi`, `0.5`; a YAML number as the
/// parser read it), for messages that quote the user's value rather than a canonical form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WrittenQuantity {
    pub text: String,
    pub quantity: Quantity,
}

impl<'de> Deserialize<'de> for WrittenQuantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = d.deserialize_any(QuantityText)?;
        let quantity = Quantity::parse(&text).map_err(serde::de::Error::custom)?;
        Ok(WrittenQuantity { text, quantity })
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_display_with_binary_suffixes() {
        let show = |q: &str| Quantity::parse(q).unwrap().display_bytes();
        assert_eq!(show("128Gi"), "128Gi");
        assert_eq!(show("137438953472"), "128Gi");
        assert_eq!(show("1536Mi"), "1536Mi");
        assert_eq!(show("1.5Gi"), "1536Mi");
        assert_eq!(show("1G"), "953.7MiB");
        assert_eq!(show("512"), "512");
        assert_eq!(show("500m"), "500m");
    }

    fn m(s: &str) -> i64 {
        Quantity::parse(s).unwrap().milli
    }

    #[test]
    fn parses_kubernetes_suffixes() {
        assert_eq!(m("4"), 4000);
        assert_eq!(m("500m"), 500);
        assert_eq!(m("0.5"), 500);
        assert_eq!(m("1Ki"), 1_024_000);
        assert_eq!(m("448Gi"), 448 * (1i64 << 30) * 1000);
        assert_eq!(m("2k"), 2_000_000);
        assert_eq!(m("1e3"), 1_000_000);
        assert_eq!(m("1.5Gi"), 1536 * (1i64 << 20) * 1000);
        // 1 nano-core rounds up to one milli-core, like MilliValue.
        assert_eq!(m("1n"), 1);
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "abc", "4X", "1.2.3", "Gi", "--1"] {
            assert!(Quantity::parse(s).is_err(), "{s} should fail");
        }
        assert!(Quantity::parse("100Ei").is_err());
    }
}
