//! RFC 8785 (JCS) against the examples published in the RFC: the sample of section 3.2.2
//! (literals, numbers, string escapes), the sorting example of section 3.2.3, and the
//! number-serialisation table of Appendix B.

use otproof_evidence::jcs::{canonicalize, canonicalize_str, write_f64};
use proptest::prelude::*;

#[test]
fn rfc8785_section_3_2_2_sample() {
    let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
    let want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    assert_eq!(canonicalize_str(input).expect("canonical"), want);
}

#[test]
fn rfc8785_section_3_2_3_sorting() {
    let input = r#"{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
    let out = canonicalize_str(input).expect("canonical");
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&out).expect("json");
    // serde_json's Map is ordered by key (BTreeMap), so read the order from the text.
    drop(v);
    let order: Vec<&str> = [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]
    .to_vec();
    let mut pos = 0;
    for name in order {
        let at = out[pos..].find(name).map(|p| p + pos);
        assert!(at.is_some(), "{name} out of order in {out}");
        pos = at.unwrap_or(pos);
    }
    assert!(out.starts_with("{\"\\r\":\"Carriage Return\",\"1\":\"One\""));
}

#[test]
fn rfc8785_appendix_b_numbers() {
    let table: &[(u64, &str)] = &[
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];
    for (bits, want) in table {
        let mut out = String::new();
        write_f64(f64::from_bits(*bits), &mut out).expect("finite");
        assert_eq!(&out, want, "0x{bits:016x}");
    }
    for bits in [0x7fffffffffffffffu64, 0x7ff0000000000000] {
        assert!(write_f64(f64::from_bits(bits), &mut String::new()).is_err());
    }
}

#[test]
fn integers_beyond_2_pow_53_go_through_the_double() {
    assert_eq!(
        canonicalize_str("[9007199254740993]").expect("c"),
        "[9007199254740992]"
    );
    assert_eq!(
        canonicalize_str("[-42, 0, 1.0, -0.0]").expect("c"),
        "[-42,0,1,0]"
    );
}

#[test]
fn control_characters_and_unicode() {
    assert_eq!(
        canonicalize_str(r#""\u0000\b\t\n\f\r\u001f\u007f\u2028 é""#).expect("c"),
        "\"\\u0000\\b\\t\\n\\f\\r\\u001f\u{7f}\u{2028} é\""
    );
    assert!(canonicalize_str("{").is_err());
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        (-1e300f64..1e300).prop_map(|f| serde_json::json!(f)),
        "\\PC{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("\\PC{0,8}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn canonical_form_is_a_fixed_point_and_valid_json(v in json_value()) {
        let once = canonicalize(&v).expect("finite values");
        let parsed: serde_json::Value = serde_json::from_str(&once).expect("valid JSON");
        prop_assert_eq!(canonicalize(&parsed).expect("again"), once.clone());
        let pretty = serde_json::to_string_pretty(&v).expect("pretty");
        prop_assert_eq!(canonicalize_str(&pretty).expect("from pretty"), once);
    }
}
