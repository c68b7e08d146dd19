//! Compose's variable interpolation, as the Compose Specification defines it: `$$`, `$VAR`,
//! `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+other}`, `${VAR+other}`,
//! `${VAR:?error}` and `${VAR?error}`, defaults themselves interpolated.

use std::collections::BTreeMap;

/// The variables Compose would take from the shell and `deploy/.env`.
pub type Vars = BTreeMap<String, String>;

/// `text` with every variable replaced; panics where Compose would refuse (`?`).
pub fn interpolate(text: &str, vars: &Vars) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
        } else if let Some(inner) = rest.strip_prefix('{') {
            let end = closing_brace(inner).unwrap_or_else(|| panic!("unclosed ${{ in {text:?}"));
            out.push_str(&braced(&inner[..end], vars));
            rest = &inner[end + 1..];
        } else {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            out.push_str(vars.get(&rest[..len]).map_or("", String::as_str));
            rest = &rest[len..];
        }
    }
    out.push_str(rest);
    out
}

/// The index of the `}` closing an expression that starts right after `${`.
fn closing_brace(inner: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// One `${…}` expression.
fn braced(expression: &str, vars: &Vars) -> String {
    let name_len = expression
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(expression.len());
    let (name, operator) = expression.split_at(name_len);
    let value = vars.get(name);
    let set = value.is_some();
    let non_empty = value.is_some_and(|v| !v.is_empty());
    let value = value.cloned().unwrap_or_default();
    let arg = |prefix: &str| interpolate(&operator[prefix.len()..], vars);
    match operator {
        "" => value,
        op if op.starts_with(":-") => {
            if non_empty {
                value
            } else {
                arg(":-")
            }
        }
        op if op.starts_with('-') => {
            if set {
                value
            } else {
                arg("-")
            }
        }
        op if op.starts_with(":+") => {
            if non_empty {
                arg(":+")
            } else {
                String::new()
            }
        }
        op if op.starts_with('+') => {
            if set {
                arg("+")
            } else {
                String::new()
            }
        }
        op if op.starts_with(":?") || op.starts_with('?') => {
            assert!(
                non_empty || (set && !op.starts_with(':')),
                "Compose refuses: {name} is required ({})",
                arg(if op.starts_with(':') { ":?" } else { "?" })
            );
            value
        }
        op => panic!("unsupported interpolation ${{{name}{op}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_apply_to_unset_and_with_a_colon_to_empty_variables() {
        let v = vars(&[("EMPTY", ""), ("SET", "x")]);
        assert_eq!(interpolate("${UNSET:-d}", &v), "d");
        assert_eq!(interpolate("${EMPTY:-d}", &v), "d");
        assert_eq!(interpolate("${EMPTY-d}", &v), "");
        assert_eq!(interpolate("${SET:-d}", &v), "x");
        assert_eq!(interpolate("a${SET}b$SET.c", &v), "axbx.c");
        assert_eq!(interpolate("${UNSET}", &v), "");
    }

    #[test]
    fn dollars_escape_and_defaults_nest() {
        let v = vars(&[("B", "b")]);
        assert_eq!(interpolate("$$HOME $${B}", &v), "$HOME ${B}");
        assert_eq!(interpolate("${A:-${B:-z}}/${A:-${C:-z}}", &v), "b/z");
        assert_eq!(interpolate("${B:+set}${A:+set}", &v), "set");
        assert_eq!(
            interpolate("postgres://shop:${P:-shop}@postgres:5432/shop", &v),
            "postgres://shop:shop@postgres:5432/shop"
        );
    }

    #[test]
    #[should_panic(expected = "required")]
    fn a_required_variable_that_is_unset_is_refused() {
        interpolate("${NEEDED:?set it}", &Vars::new());
    }
}
