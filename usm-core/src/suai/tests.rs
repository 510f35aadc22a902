//! Parsing and validation without a driver: the stable JSON form, one test per rule, and
//! property tests of the parser and the span.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

const NAME: &str = r#"{"context_id":2,"context_handle":4096,"device_handle":8192}"#;

fn name() -> SyclObj {
    SyclObj {
        context_id: Some(2),
        context_handle: 4096,
        device_handle: Some(8192),
    }
}

/// A valid dict as a JSON value, to break one rule at a time.
fn valid() -> Value {
    json!({
        "data": [65536, false],
        "shape": [2, 2],
        "strides": [10, -2],
        "typestr": "|u1",
        "version": 1,
        "offset": 9,
        "syclobj": {"context_id": 2, "context_handle": 4096, "device_handle": 8192},
    })
}

fn with(key: &str, value: Value) -> Value {
    let mut dict = valid();
    dict[key] = value;
    dict
}

fn without(key: &str) -> Value {
    let mut dict = valid();
    dict.as_object_mut().unwrap().remove(key);
    dict
}

fn refuse(value: Value) -> SuaiError {
    SuaiDict::from_value(&value).unwrap_err()
}

#[test]
fn json_form_is_stable() {
    let dict = SuaiDict::new(
        65536,
        true,
        ArrayLayout::new("<f4".parse().unwrap(), vec![2, 3]).with_offset(1),
        name(),
    )
    .unwrap();
    assert_eq!(
        dict.to_json(),
        format!(
            r#"{{"data":[65536,true],"shape":[2,3],"strides":null,"typestr":"<f4","version":1,"offset":1,"syclobj":{NAME}}}"#
        )
    );
}

#[test]
fn json_round_trip_keeps_every_field() {
    let dict = SuaiDict::from_value(&valid()).unwrap();
    assert_eq!(dict.pointer(), 65536);
    assert!(!dict.read_only());
    assert_eq!(dict.layout().shape, [2, 2]);
    assert_eq!(dict.layout().strides.as_deref(), Some(&[10, -2][..]));
    assert_eq!(dict.layout().offset, 9);
    assert_eq!(dict.layout().typestr, TypeStr::BYTES);
    assert_eq!(dict.syclobj(), &name());
    assert_eq!(
        dict.span(),
        Span {
            start: 7,
            len: 13,
            origin: 2
        }
    );
    assert_eq!(SuaiDict::from_json(&dict.to_json()).unwrap(), dict);
    assert_eq!(
        serde_json::from_str::<SuaiDict>(&dict.to_json()).unwrap(),
        dict
    );
    assert_eq!(dict.to_value(), valid());
}

#[test]
fn strides_and_offset_may_be_left_out() {
    let dict = SuaiDict::from_value(&without("strides")).unwrap();
    assert_eq!(dict.layout().strides, None);
    let dict = SuaiDict::from_value(&with("strides", Value::Null)).unwrap();
    assert_eq!(dict.layout().strides, None);
    let dict = SuaiDict::from_value(&without("offset")).unwrap();
    assert_eq!(dict.layout().offset, 0);
}

#[test]
fn unknown_keys_are_ignored() {
    let dict = SuaiDict::from_value(&with("mask", json!(null))).unwrap();
    assert_eq!(dict, SuaiDict::from_value(&valid()).unwrap());
}

#[test]
fn text_that_is_not_json_is_refused() {
    let err = SuaiDict::from_json("{\"data\": [1, true]").unwrap_err();
    assert!(matches!(err, SuaiError::Json { line: 1, .. }), "{err:?}");
}

#[test]
fn a_value_that_is_not_a_dict_is_refused() {
    assert!(matches!(refuse(json!([1, 2])), SuaiError::NotADict { found } if found == "[1,2]"));
}

#[test]
fn each_required_key_must_be_present() {
    for key in ["data", "shape", "typestr", "version", "syclobj"] {
        assert!(
            matches!(refuse(without(key)), SuaiError::MissingKey { key: k } if k == key),
            "{key}"
        );
    }
}

#[test]
fn version_must_be_one() {
    for bad in [json!(2), json!(0), json!("1"), json!(1.0), json!(null)] {
        assert!(matches!(
            refuse(with("version", bad)),
            SuaiError::Version { .. }
        ));
    }
}

#[test]
fn data_must_be_a_pair() {
    for bad in [
        json!(65536),
        json!([65536]),
        json!([65536, false, 1]),
        json!({}),
    ] {
        assert!(matches!(
            refuse(with("data", bad)),
            SuaiError::DataNotPair { .. }
        ));
    }
}

#[test]
fn data_pointer_must_be_a_non_negative_integer() {
    for bad in [json!(-1), json!(1.5), json!("0x10"), json!(null)] {
        assert!(matches!(
            refuse(with("data", json!([bad, false]))),
            SuaiError::DataPointer { .. }
        ));
    }
}

#[test]
fn data_read_only_flag_must_be_a_boolean() {
    for bad in [json!(0), json!(1), json!("true"), json!(null)] {
        assert!(matches!(
            refuse(with("data", json!([65536, bad]))),
            SuaiError::ReadOnlyFlag { .. }
        ));
    }
}

#[test]
fn syclobj_must_name_a_context() {
    for bad in [
        json!("level_zero:gpu:0"),
        json!(null),
        json!({"context_id": 2}),
        json!({"context_handle": -1}),
        json!({"context_handle": 1, "queue": 3}),
    ] {
        assert!(matches!(
            refuse(with("syclobj", bad)),
            SuaiError::SyclObj { .. }
        ));
    }
}

#[test]
fn shape_must_be_a_list() {
    for bad in [json!(4), json!("4"), json!(null), json!({"0": 4})] {
        assert!(matches!(
            refuse(with("shape", bad)),
            SuaiError::ShapeNotList { .. }
        ));
    }
}

#[test]
fn shape_entries_must_be_integers() {
    let err = refuse(with("shape", json!([2, 2.5])));
    assert!(
        matches!(err, SuaiError::ShapeEntry { index: 1, .. }),
        "{err:?}"
    );
    let err = refuse(with("shape", json!(["2", 2])));
    assert!(
        matches!(err, SuaiError::ShapeEntry { index: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn shape_entries_must_not_be_negative() {
    let err = refuse(with("shape", json!([2, -1])));
    assert!(
        matches!(
            err,
            SuaiError::NegativeExtent {
                index: 1,
                value: -1
            }
        ),
        "{err:?}"
    );
}

#[test]
fn typestr_must_be_a_string() {
    assert!(matches!(
        refuse(with("typestr", json!(1))),
        SuaiError::TypestrNotString { .. }
    ));
}

#[test]
fn typestr_must_name_a_numeric_or_boolean_type() {
    let err = refuse(with("typestr", json!("|O8")));
    assert!(matches!(
        err,
        SuaiError::Typestr(TypestrError::ObjectKind { .. })
    ));
    let err = refuse(with("typestr", json!("|S4")));
    assert!(matches!(
        err,
        SuaiError::Typestr(TypestrError::UnsupportedKind { kind: 'S', .. })
    ));
    let err = refuse(with("typestr", json!("<f3")));
    assert!(matches!(
        err,
        SuaiError::Typestr(TypestrError::UnsupportedSize { size: 3, .. })
    ));
    let err = refuse(with("typestr", json!("f4")));
    assert!(matches!(
        err,
        SuaiError::Typestr(TypestrError::ByteOrder { .. })
    ));
}

#[test]
fn strides_must_be_null_or_a_list() {
    for bad in [json!(1), json!("C"), json!({})] {
        assert!(matches!(
            refuse(with("strides", bad)),
            SuaiError::StridesNotList { .. }
        ));
    }
}

#[test]
fn stride_entries_must_be_integers() {
    let err = refuse(with("strides", json!([10, 0.5])));
    assert!(
        matches!(err, SuaiError::StrideEntry { index: 1, .. }),
        "{err:?}"
    );
    let err = refuse(with("strides", json!([u64::MAX, 1])));
    assert!(
        matches!(err, SuaiError::StrideEntry { index: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn strides_must_have_the_length_of_shape() {
    let err = refuse(with("strides", json!([1])));
    assert!(matches!(
        err,
        SuaiError::StridesLength {
            shape: 2,
            strides: 1
        }
    ));
}

#[test]
fn offset_must_be_an_integer() {
    for bad in [json!(1.5), json!("9"), json!(null), json!(u64::MAX)] {
        assert!(matches!(
            refuse(with("offset", bad)),
            SuaiError::Offset { .. }
        ));
    }
}

#[test]
fn spans_past_the_address_space_are_refused() {
    let err = refuse(with("shape", json!([u64::MAX, 2])));
    assert!(matches!(err, SuaiError::Overflow { .. }), "{err:?}");
    let err = refuse(with("data", json!([u64::MAX - 4, false])));
    assert!(matches!(err, SuaiError::Overflow { .. }), "{err:?}");
}

#[test]
fn serde_deserialization_runs_every_rule() {
    let err = serde_json::from_value::<SuaiDict>(with("shape", json!([-3]))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`shape[0]` is -3; extents must not be negative"
    );
    let dict: SuaiDict = serde_json::from_value(valid()).unwrap();
    assert_eq!(dict.span().len, 13);
}

#[test]
fn errors_name_the_rule_in_words() {
    let err = refuse(with("shape", json!([2, -1])));
    assert_eq!(
        err.to_string(),
        "`shape[1]` is -1; extents must not be negative"
    );
    let err = refuse(with("version", json!(2)));
    assert_eq!(
        err.to_string(),
        "the array interface has version 2; the only recognized version is 1"
    );
}

/// The span by visiting every element, as a reference for [`ArrayLayout::span`].
fn brute_force_span(layout: &ArrayLayout) -> (i128, i128) {
    let strides = layout.strides_or_contiguous().unwrap();
    let mut low = i128::MAX;
    let mut high = i128::MIN;
    let mut index = vec![0usize; layout.shape.len()];
    let count = layout.element_count().unwrap();
    for _ in 0..count {
        let at: i128 = layout.offset as i128
            + index
                .iter()
                .zip(&strides)
                .map(|(&i, &s)| i as i128 * s as i128)
                .sum::<i128>();
        low = low.min(at);
        high = high.max(at);
        for d in (0..index.len()).rev() {
            index[d] += 1;
            if index[d] < layout.shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    if count == 0 {
        (layout.offset as i128, layout.offset as i128)
    } else {
        (low, high)
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[|<>=]?[a-zA-Z]?[0-9]{0,3}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("data".to_string()),
                    Just("shape".to_string()),
                    Just("strides".to_string()),
                    Just("typestr".to_string()),
                    Just("version".to_string()),
                    Just("offset".to_string()),
                    Just("syclobj".to_string()),
                    Just("context_handle".to_string()),
                    "[a-z]{1,3}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn small_layout() -> impl Strategy<Value = ArrayLayout> {
    (
        prop::sample::select(vec!["|u1", "|b1", "<i2", "<f4", ">f8", "<c16"]),
        prop::collection::vec(0usize..4, 0..4),
        any::<bool>(),
        prop::collection::vec(-6isize..6, 4),
        -12isize..12,
    )
        .prop_map(|(t, shape, strided, strides, offset)| ArrayLayout {
            typestr: t.parse().unwrap(),
            strides: strided.then(|| strides[..shape.len()].to_vec()),
            shape,
            offset,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_any_json_value(value in any_json()) {
        let _ = SuaiDict::from_value(&value);
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in "\\PC{0,64}") {
        let _ = SuaiDict::from_json(&text);
    }

    #[test]
    fn parser_never_panics_on_broken_text(cut in 0usize..200, noise in "\\PC{0,6}") {
        let text = valid().to_string();
        let cut = cut.min(text.len());
        let cut = (0..=cut).rev().find(|&c| text.is_char_boundary(c)).unwrap_or(0);
        let _ = SuaiDict::from_json(&format!("{}{}{}", &text[..cut], noise, &text[cut..]));
    }

    #[test]
    fn parser_never_panics_when_one_key_is_replaced(
        key in prop::sample::select(vec!["data", "shape", "strides", "typestr", "version", "offset", "syclobj"]),
        value in any_json(),
    ) {
        if let Ok(dict) = SuaiDict::from_value(&with(key, value)) {
            // Anything accepted writes back and reads again as the same dict.
            prop_assert_eq!(SuaiDict::from_json(&dict.to_json()).unwrap(), dict);
        }
    }

    #[test]
    fn span_covers_exactly_the_elements_visited(layout in small_layout()) {
        let span = layout.span().unwrap();
        let (low, high) = brute_force_span(&layout);
        let itemsize = layout.typestr.itemsize() as i128;
        prop_assert_eq!(span.start as i128, low * itemsize);
        prop_assert_eq!(span.last(), (high + 1) * itemsize - 1);
        prop_assert_eq!(span.origin as i128, (layout.offset as i128 - low) * itemsize);
    }

    #[test]
    fn valid_dicts_round_trip_through_json(layout in small_layout(), pointer in 4096usize..1 << 40, read_only in any::<bool>()) {
        let dict = SuaiDict::new(pointer, read_only, layout, name()).unwrap();
        let back = SuaiDict::from_json(&dict.to_json()).unwrap();
        prop_assert_eq!(back, dict);
    }
}

#[test]
fn errors_are_small_enough_to_return_cheaply() {
    assert!(std::mem::size_of::<SuaiError>() <= 64);
}
