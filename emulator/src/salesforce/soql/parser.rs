//! Recursive-descent parser from tokens to [`Query`]. Syntax Salesforce accepts but the
//! emulator does not implement (GROUP BY, aggregates, TYPEOF, FIELDS(), WITH, FOR UPDATE…) is
//! refused with `MALFORMED_QUERY` naming the construct — never silently ignored.

use super::ast::{Cond, Literal, Op, OrderKey, Path, Query, SelectItem};
use super::lexer::{tokenize, LexError, Tok, Token};
use super::SoqlError;

/// Relative date literals the emulator evaluates; `true` when the literal takes `:n`.
pub const RELATIVE_DATES: &[(&str, bool)] = &[
    ("YESTERDAY", false),
    ("TODAY", false),
    ("TOMORROW", false),
    ("LAST_WEEK", false),
    ("THIS_WEEK", false),
    ("NEXT_WEEK", false),
    ("LAST_MONTH", false),
    ("THIS_MONTH", false),
    ("NEXT_MONTH", false),
    ("LAST_90_DAYS", false),
    ("NEXT_90_DAYS", false),
    ("LAST_YEAR", false),
    ("THIS_YEAR", false),
    ("NEXT_YEAR", false),
    ("LAST_N_DAYS", true),
    ("NEXT_N_DAYS", true),
    ("N_DAYS_AGO", true),
    ("LAST_N_WEEKS", true),
    ("NEXT_N_WEEKS", true),
    ("LAST_N_MONTHS", true),
    ("NEXT_N_MONTHS", true),
];

/// Parses one SOQL statement.
pub fn parse(src: &str) -> Result<Query, SoqlError> {
    let toks = tokenize(src).map_err(|e| lex_error(src, e))?;
    let mut p = Parser { src, toks, i: 0 };
    let query = p.query(false)?;
    match p.peek() {
        None => Ok(query),
        Some(_) => Err(p.unexpected()),
    }
}

/// Turns a lexer error into Salesforce's message.
pub fn lex_error(src: &str, e: LexError) -> SoqlError {
    match e {
        LexError::BadEscape { pos, raw, seq } => SoqlError::malformed(
            Some(pos),
            format!(
                "Invalid string literal '{raw}'. Illegal character sequence '{seq}' in string literal."
            ),
        ),
        LexError::Unterminated { pos } => SoqlError::malformed(
            Some(pos),
            format!("line 1:{pos} mismatched character '<EOF>' expecting '''"),
        ),
        LexError::Unexpected { pos, ch } => {
            let _ = src;
            SoqlError::malformed(Some(pos), format!("unexpected token: {ch}"))
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    i: usize,
}

const CLAUSE_WORDS: &[&str] = &[
    "FROM", "WHERE", "ORDER", "LIMIT", "OFFSET", "GROUP", "HAVING", "WITH", "USING", "FOR", "AND",
    "OR", "NOT", "ASC", "DESC", "NULLS", "ALL",
];

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.toks.get(self.i + ahead)
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }

    fn at_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    fn at(&self, tok: &Tok) -> bool {
        self.peek().is_some_and(|t| &t.tok == tok)
    }

    fn unexpected(&self) -> SoqlError {
        match self.peek() {
            Some(t) => SoqlError::malformed(
                Some(t.pos),
                format!("unexpected token: {}", &self.src[t.pos..t.pos + t.len]),
            ),
            None => SoqlError::malformed(Some(self.src.len()), "unexpected token: <EOF>"),
        }
    }

    fn unsupported(&self, what: &str) -> SoqlError {
        let pos = self.peek().map_or(self.src.len(), |t| t.pos);
        SoqlError::malformed(
            Some(pos),
            format!("{what} is not supported by the Salesforce emulator"),
        )
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), SoqlError> {
        if self.at_kw(kw) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn expect(&mut self, tok: Tok) -> Result<Token, SoqlError> {
        if self.at(&tok) {
            self.bump().ok_or_else(|| self.unexpected())
        } else {
            Err(self.unexpected())
        }
    }

    fn ident(&mut self) -> Result<(String, usize), SoqlError> {
        match self.peek() {
            Some(Token {
                tok: Tok::Ident(s),
                pos,
                ..
            }) => {
                let out = (s.clone(), *pos);
                self.i += 1;
                Ok(out)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn path(&mut self) -> Result<Path, SoqlError> {
        let (first, pos) = self.ident()?;
        let mut parts = vec![first];
        while self.at(&Tok::Dot) {
            self.i += 1;
            parts.push(self.ident()?.0);
        }
        Ok(Path { parts, pos })
    }

    fn query(&mut self, sub: bool) -> Result<Query, SoqlError> {
        self.expect_kw("SELECT")?;
        let mut select = Vec::new();
        loop {
            select.push(self.select_item(sub)?);
            if self.at(&Tok::Comma) {
                self.i += 1;
            } else {
                break;
            }
        }
        self.expect_kw("FROM")?;
        let from = self.path()?;
        if from.parts.len() > 1 {
            return Err(SoqlError::malformed(
                Some(from.pos),
                format!("unexpected token: {}", from.text()),
            ));
        }
        if self.at_kw("USING") {
            return Err(self.unsupported("USING SCOPE"));
        }
        if let Some(Token {
            tok: Tok::Ident(word),
            ..
        }) = self.peek()
        {
            if !CLAUSE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)) {
                return Err(self.unsupported("An object alias"));
            }
        }
        let filter = if self.at_kw("WHERE") {
            self.i += 1;
            Some(self.condition()?)
        } else {
            None
        };
        if self.at_kw("WITH") {
            return Err(self.unsupported("WITH"));
        }
        if self.at_kw("GROUP") {
            return Err(self.unsupported("GROUP BY"));
        }
        if self.at_kw("HAVING") {
            return Err(self.unsupported("HAVING"));
        }
        let mut order = Vec::new();
        if self.at_kw("ORDER") {
            self.i += 1;
            self.expect_kw("BY")?;
            loop {
                order.push(self.order_key()?);
                if self.at(&Tok::Comma) {
                    self.i += 1;
                } else {
                    break;
                }
            }
        }
        let limit = self.count_clause("LIMIT")?;
        let offset = self.count_clause("OFFSET")?;
        if self.at_kw("FOR") {
            return Err(self.unsupported("FOR VIEW / FOR REFERENCE / FOR UPDATE"));
        }
        if self.at_kw("ALL") {
            return Err(self.unsupported("ALL ROWS"));
        }
        if sub && !self.at(&Tok::RParen) {
            return Err(self.unexpected());
        }
        Ok(Query {
            select,
            from,
            filter,
            order,
            limit,
            offset,
        })
    }

    fn count_clause(&mut self, kw: &str) -> Result<Option<u64>, SoqlError> {
        if !self.at_kw(kw) {
            return Ok(None);
        }
        self.i += 1;
        match self.peek() {
            Some(Token {
                tok: Tok::Num(n), ..
            }) => match n.parse::<u64>() {
                Ok(v) => {
                    self.i += 1;
                    Ok(Some(v))
                }
                Err(_) => Err(self.unexpected()),
            },
            _ => Err(self.unexpected()),
        }
    }

    fn select_item(&mut self, sub: bool) -> Result<SelectItem, SoqlError> {
        if self.at(&Tok::LParen) {
            if sub {
                return Err(self.unsupported("A nested subquery"));
            }
            self.i += 1;
            let inner = self.query(true)?;
            self.expect(Tok::RParen)?;
            return Ok(SelectItem::SubQuery(Box::new(inner)));
        }
        if self.at_kw("TYPEOF") {
            return Err(self.unsupported("TYPEOF"));
        }
        let is_call = matches!(
            self.peek_at(1),
            Some(Token {
                tok: Tok::LParen,
                ..
            })
        );
        if is_call {
            let (name, pos) = self.ident()?;
            if name.eq_ignore_ascii_case("COUNT")
                && matches!(
                    self.peek_at(1),
                    Some(Token {
                        tok: Tok::RParen,
                        ..
                    })
                )
            {
                self.i += 2;
                return Ok(SelectItem::CountAll { pos });
            }
            self.i -= 1;
            return Err(self.unsupported(&format!("{}()", name.to_ascii_uppercase())));
        }
        let path = self.path()?;
        if let Some(Token {
            tok: Tok::Ident(word),
            ..
        }) = self.peek()
        {
            if !word.eq_ignore_ascii_case("FROM") {
                return Err(self.unexpected());
            }
        }
        Ok(SelectItem::Field(path))
    }

    fn order_key(&mut self) -> Result<OrderKey, SoqlError> {
        let path = self.path()?;
        let mut desc = false;
        if self.at_kw("ASC") {
            self.i += 1;
        } else if self.at_kw("DESC") {
            self.i += 1;
            desc = true;
        }
        let mut nulls_last = None;
        if self.at_kw("NULLS") {
            self.i += 1;
            if self.at_kw("FIRST") {
                nulls_last = Some(false);
            } else if self.at_kw("LAST") {
                nulls_last = Some(true);
            } else {
                return Err(self.unexpected());
            }
            self.i += 1;
        }
        Ok(OrderKey {
            path,
            desc,
            nulls_last,
        })
    }

    /// A condition: terms joined by only AND or only OR (SOQL requires parentheses to mix).
    fn condition(&mut self) -> Result<Cond, SoqlError> {
        let first = self.term()?;
        let joiner = if self.at_kw("AND") {
            "AND"
        } else if self.at_kw("OR") {
            "OR"
        } else {
            return Ok(first);
        };
        let mut terms = vec![first];
        loop {
            if self.at_kw(joiner) {
                self.i += 1;
                terms.push(self.term()?);
            } else if self.at_kw("AND") || self.at_kw("OR") {
                return Err(self.unexpected());
            } else {
                break;
            }
        }
        Ok(if joiner == "AND" {
            Cond::And(terms)
        } else {
            Cond::Or(terms)
        })
    }

    fn term(&mut self) -> Result<Cond, SoqlError> {
        if self.at_kw("NOT") {
            self.i += 1;
            return Ok(Cond::Not(Box::new(self.term()?)));
        }
        if self.at(&Tok::LParen) {
            self.i += 1;
            let inner = self.condition()?;
            self.expect(Tok::RParen)?;
            return Ok(inner);
        }
        let path = self.path()?;
        if self.at_kw("NOT") {
            self.i += 1;
            if !self.at_kw("IN") {
                return Err(self.unexpected());
            }
            self.i += 1;
            return self.in_list(path, true);
        }
        if self.at_kw("IN") {
            self.i += 1;
            return self.in_list(path, false);
        }
        if self.at_kw("INCLUDES") || self.at_kw("EXCLUDES") {
            let negated = self.at_kw("EXCLUDES");
            self.i += 1;
            self.expect(Tok::LParen)?;
            let mut values = Vec::new();
            loop {
                match self.bump() {
                    Some(Token {
                        tok: Tok::Str(s), ..
                    }) => values.push(s),
                    _ => {
                        self.i -= 1;
                        return Err(self.unexpected());
                    }
                }
                if self.at(&Tok::Comma) {
                    self.i += 1;
                } else {
                    break;
                }
            }
            self.expect(Tok::RParen)?;
            return Ok(Cond::Includes {
                path,
                negated,
                values,
            });
        }
        let op = match self.peek().map(|t| &t.tok) {
            Some(Tok::Eq) => Op::Eq,
            Some(Tok::Ne) => Op::Ne,
            Some(Tok::Lt) => Op::Lt,
            Some(Tok::Gt) => Op::Gt,
            Some(Tok::Le) => Op::Le,
            Some(Tok::Ge) => Op::Ge,
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("LIKE") => Op::Like,
            _ => return Err(self.unexpected()),
        };
        self.i += 1;
        let value_pos = self.peek().map_or(self.src.len(), |t| t.pos);
        let value = self.literal()?;
        Ok(Cond::Cmp {
            path,
            op,
            value,
            value_pos,
        })
    }

    fn in_list(&mut self, path: Path, negated: bool) -> Result<Cond, SoqlError> {
        self.expect(Tok::LParen)?;
        if self.at_kw("SELECT") {
            let query = self.query(true)?;
            self.expect(Tok::RParen)?;
            return Ok(Cond::InQuery {
                path,
                negated,
                query: Box::new(query),
            });
        }
        let value_pos = self.peek().map_or(self.src.len(), |t| t.pos);
        let mut values = Vec::new();
        loop {
            values.push(self.literal()?);
            if self.at(&Tok::Comma) {
                self.i += 1;
            } else {
                break;
            }
        }
        self.expect(Tok::RParen)?;
        Ok(Cond::In {
            path,
            negated,
            values,
            value_pos,
        })
    }

    fn literal(&mut self) -> Result<Literal, SoqlError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.unexpected());
        };
        let lit = match token.tok {
            Tok::Str(s) => Literal::Str(s),
            Tok::Num(n) => Literal::Num(n),
            Tok::Date(d) => Literal::Date(d),
            Tok::DateTime(t) => Literal::DateTime(t),
            Tok::Colon => return Err(self.unsupported("A bind variable")),
            Tok::Ident(word) => {
                let upper = word.to_ascii_uppercase();
                match upper.as_str() {
                    "NULL" => Literal::Null,
                    "TRUE" => Literal::Bool(true),
                    "FALSE" => Literal::Bool(false),
                    _ => return self.relative_date(upper),
                }
            }
            _ => return Err(self.unexpected()),
        };
        self.i += 1;
        Ok(lit)
    }

    fn relative_date(&mut self, upper: String) -> Result<Literal, SoqlError> {
        let known = RELATIVE_DATES.iter().find(|(name, _)| *name == upper);
        let Some((_, takes_n)) = known else {
            let looks_relative = upper.contains("_N_")
                || ["LAST_", "NEXT_", "THIS_"]
                    .iter()
                    .any(|p| upper.starts_with(p));
            return Err(if looks_relative {
                self.unsupported(&format!("The date literal {upper}"))
            } else {
                self.unexpected()
            });
        };
        self.i += 1;
        if !takes_n {
            return Ok(Literal::Relative {
                name: upper,
                n: None,
            });
        }
        self.expect(Tok::Colon)?;
        match self.peek() {
            Some(Token {
                tok: Tok::Num(n), ..
            }) => match n.parse::<i64>() {
                Ok(v) if v >= 0 => {
                    self.i += 1;
                    Ok(Literal::Relative {
                        name: upper,
                        n: Some(v),
                    })
                }
                _ => Err(self.unexpected()),
            },
            _ => Err(self.unexpected()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_parents_children_and_clauses() {
        let q = parse(
            "SELECT Id, Account.Name, (SELECT Id FROM CaseComments) FROM Case \
             WHERE (Status = 'New' OR Status = 'Working') AND IsClosed = false \
             ORDER BY CreatedDate DESC NULLS LAST, Id LIMIT 10 OFFSET 5",
        )
        .unwrap();
        assert_eq!(q.select.len(), 3);
        assert!(matches!(&q.select[1], SelectItem::Field(p) if p.parts == ["Account", "Name"]));
        assert!(
            matches!(&q.select[2], SelectItem::SubQuery(s) if s.from.parts == ["CaseComments"])
        );
        assert!(matches!(&q.filter, Some(Cond::And(terms)) if matches!(terms[0], Cond::Or(_))));
        assert_eq!(q.order.len(), 2);
        assert!(q.order[0].desc && q.order[0].nulls_last == Some(true));
        assert_eq!((q.limit, q.offset), (Some(10), Some(5)));
    }

    #[test]
    fn parses_in_includes_semi_joins_and_relative_dates() {
        let q = parse(
            "SELECT Id FROM Case WHERE Id NOT IN ('500000000000001') AND Tags__c INCLUDES ('a;b','c') \
             AND AccountId IN (SELECT Id FROM Account) AND CreatedDate = LAST_N_DAYS:7 AND NOT Subject LIKE 'x%'",
        )
        .unwrap();
        let Some(Cond::And(terms)) = q.filter else {
            panic!("expected AND")
        };
        assert!(matches!(&terms[0], Cond::In { negated: true, .. }));
        assert!(matches!(&terms[1], Cond::Includes { values, .. } if values.len() == 2));
        assert!(matches!(&terms[2], Cond::InQuery { negated: false, .. }));
        assert!(matches!(
            &terms[3],
            Cond::Cmp {
                value: Literal::Relative { n: Some(7), .. },
                ..
            }
        ));
        assert!(matches!(&terms[4], Cond::Not(_)));
    }

    #[test]
    fn count_and_keywords_are_case_insensitive() {
        let q = parse("select count() from case where status != null").unwrap();
        assert!(matches!(q.select[0], SelectItem::CountAll { .. }));
    }

    #[test]
    fn mixing_and_with_or_without_parentheses_is_refused() {
        let e = parse("SELECT Id FROM Case WHERE A = 1 AND B = 2 OR C = 3").unwrap_err();
        assert_eq!(e.message, "unexpected token: OR");
        assert_eq!(e.pos, Some(42));
    }

    #[test]
    fn truncated_and_unsupported_queries_are_malformed() {
        let e = parse("SELECT Id FROM").unwrap_err();
        assert_eq!(e.message, "unexpected token: <EOF>");
        for q in [
            "SELECT Status, COUNT(Id) FROM Case GROUP BY Status",
            "SELECT FIELDS(ALL) FROM Case LIMIT 200",
            "SELECT Id FROM Case WITH SECURITY_ENFORCED",
            "SELECT Id FROM Case FOR UPDATE",
            "SELECT Id FROM Case c",
            "SELECT Id FROM Case WHERE CreatedDate = LAST_FISCAL_QUARTER",
        ] {
            let e = parse(q).unwrap_err();
            assert_eq!(e.code, "MALFORMED_QUERY", "{q}");
            assert!(e.message.contains("not supported"), "{q}: {}", e.message);
        }
    }

    #[test]
    fn bad_escapes_are_reported_like_salesforce() {
        let e = parse(r"SELECT Id FROM Case WHERE Subject = 'a\qb'").unwrap_err();
        assert_eq!(
            e.message,
            r"Invalid string literal 'a\qb'. Illegal character sequence '\q' in string literal."
        );
    }
}
