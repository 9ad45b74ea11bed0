//! JQL syntax: tokens to a query tree, by recursive descent with Jira's precedence (`NOT` binds
//! tighter than `AND`, `AND` tighter than `OR`) and Jira's syntax error messages.
//!
//! The tree says nothing about fields or values yet; `eval` checks them against the site, the
//! way Jira separates "Error in the JQL Query" from "Field 'x' does not exist".

use super::lexer::{tokenize, Kind, Sym, Token};
use super::JqlError;

/// A clause operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `~`
    Like,
    /// `!~`
    NotLike,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `IN`
    In,
    /// `NOT IN`
    NotIn,
    /// `IS`
    Is,
    /// `IS NOT`
    IsNot,
}

impl Operator {
    /// As Jira quotes it in errors.
    pub fn text(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Like => "~",
            Self::NotLike => "!~",
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
            Self::In => "in",
            Self::NotIn => "not in",
            Self::Is => "is",
            Self::IsNot => "is not",
        }
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// The text (unquoted).
    pub text: String,
    /// Whether it was quoted.
    pub quoted: bool,
}

/// The right-hand side of a clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A single value.
    Value(Literal),
    /// `( a, b, … )`.
    List(Vec<Operand>),
    /// `name(args)`.
    Function {
        /// Function name.
        name: String,
        /// Arguments.
        args: Vec<String>,
    },
    /// `EMPTY` or `NULL`.
    Empty,
}

/// `field op operand`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// Field as written.
    pub field: String,
    /// Operator.
    pub op: Operator,
    /// Operand.
    pub operand: Operand,
}

/// A boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All must hold.
    And(Vec<Expr>),
    /// One must hold.
    Or(Vec<Expr>),
    /// Must not hold.
    Not(Box<Expr>),
    /// A clause.
    Clause(Clause),
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// Field as written.
    pub field: String,
    /// `DESC` given.
    pub descending: bool,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// The search restriction; `None` for an unbounded query.
    pub restriction: Option<Expr>,
    /// `ORDER BY` keys.
    pub order: Vec<SortKey>,
}

const OPERATORS: &str = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";

const RESERVED: [&str; 7] = ["and", "or", "not", "in", "is", "order", "by"];

/// Parses a JQL query.
pub fn parse(text: &str) -> Result<Query, JqlError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, at: 0 };
    parser.query()
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[self.at.min(last)]
    }

    fn peek_at(&self, offset: usize) -> &Token {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.at + offset).min(last)]
    }

    fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        token
    }

    fn at_eof(&self) -> bool {
        self.peek().kind == Kind::Eof
    }

    fn error(&self, expecting: &str, suffix: &str) -> JqlError {
        let token = self.peek();
        let message = if token.kind == Kind::Eof {
            format!("Expecting {expecting} before the end of the query.{suffix}")
        } else {
            format!("Expecting {expecting} but got '{}'.{suffix}", token.shown())
        };
        JqlError::syntax(message, token.pos)
    }

    fn query(&mut self) -> Result<Query, JqlError> {
        let restriction = if self.at_eof() || self.peek().is_keyword("order") {
            None
        } else {
            Some(self.or_expr()?)
        };
        let mut order = Vec::new();
        if self.peek().is_keyword("order") {
            self.bump();
            if !self.peek().is_keyword("by") {
                return Err(self.error("'by'", ""));
            }
            self.bump();
            loop {
                let field = self.field_name()?;
                let descending = if self.peek().is_keyword("desc") {
                    self.bump();
                    true
                } else {
                    if self.peek().is_keyword("asc") {
                        self.bump();
                    }
                    false
                };
                order.push(SortKey { field, descending });
                if self.peek().kind == Kind::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        if !self.at_eof() {
            let expecting = if order.is_empty() {
                "either 'OR' or 'AND'"
            } else {
                "either ',' 'ASC' or 'DESC'"
            };
            return Err(self.error(expecting, ""));
        }
        Ok(Query { restriction, order })
    }

    fn is_or(&self) -> bool {
        self.peek().is_keyword("or") || self.peek().kind == Kind::Sym(Sym::Or)
    }

    fn is_and(&self) -> bool {
        self.peek().is_keyword("and") || self.peek().kind == Kind::Sym(Sym::And)
    }

    fn or_expr(&mut self) -> Result<Expr, JqlError> {
        let mut parts = vec![self.and_expr()?];
        while self.is_or() {
            self.bump();
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and_expr(&mut self) -> Result<Expr, JqlError> {
        let mut parts = vec![self.not_expr()?];
        while self.is_and() {
            self.bump();
            parts.push(self.not_expr()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not_expr(&mut self) -> Result<Expr, JqlError> {
        if self.peek().is_keyword("not") || self.peek().kind == Kind::Sym(Sym::Not) {
            self.bump();
            return Ok(Expr::Not(Box::new(self.not_expr()?)));
        }
        if self.peek().kind == Kind::LParen {
            self.bump();
            let inner = self.or_expr()?;
            if self.peek().kind != Kind::RParen {
                return Err(self.error("')'", ""));
            }
            self.bump();
            return Ok(inner);
        }
        self.clause().map(Expr::Clause)
    }

    fn field_name(&mut self) -> Result<String, JqlError> {
        match &self.peek().kind {
            Kind::Word(w) if !RESERVED.contains(&w.to_lowercase().as_str()) => {
                let w = w.clone();
                self.bump();
                Ok(w)
            }
            Kind::Str(s) => {
                let s = s.clone();
                self.bump();
                Ok(s)
            }
            _ => Err(self.error("a field name", "")),
        }
    }

    fn clause(&mut self) -> Result<Clause, JqlError> {
        let field = self.field_name()?;
        let op = self.operator()?;
        let operand = self.operand(op)?;
        Ok(Clause { field, op, operand })
    }

    fn operator(&mut self) -> Result<Operator, JqlError> {
        let token = self.peek().clone();
        let op = match &token.kind {
            Kind::Sym(Sym::Eq) => Operator::Eq,
            Kind::Sym(Sym::Ne) => Operator::Ne,
            Kind::Sym(Sym::Like) => Operator::Like,
            Kind::Sym(Sym::NotLike) => Operator::NotLike,
            Kind::Sym(Sym::Lt) => Operator::Lt,
            Kind::Sym(Sym::Gt) => Operator::Gt,
            Kind::Sym(Sym::Le) => Operator::Le,
            Kind::Sym(Sym::Ge) => Operator::Ge,
            _ if token.is_keyword("in") => Operator::In,
            _ if token.is_keyword("is") => {
                self.bump();
                if self.peek().is_keyword("not") {
                    self.bump();
                    return Ok(Operator::IsNot);
                }
                return Ok(Operator::Is);
            }
            _ if token.is_keyword("not") && self.peek_at(1).is_keyword("in") => {
                self.bump();
                Operator::NotIn
            }
            _ if token.is_keyword("was") || token.is_keyword("changed") => {
                return Err(JqlError::syntax(
                    format!(
                        "The operator '{}' is not supported by this emulator.",
                        token.shown().to_uppercase()
                    ),
                    token.pos,
                ))
            }
            _ => return Err(self.error("operator", &format!(" {OPERATORS}"))),
        };
        self.bump();
        Ok(op)
    }

    fn operand(&mut self, op: Operator) -> Result<Operand, JqlError> {
        let token = self.peek().clone();
        match &token.kind {
            Kind::LParen => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    items.push(self.single_operand()?);
                    match self.peek().kind {
                        Kind::Comma => {
                            self.bump();
                        }
                        Kind::RParen => {
                            self.bump();
                            break;
                        }
                        _ => return Err(self.error("either ',' or ')'", "")),
                    }
                }
                Ok(Operand::List(items))
            }
            _ => {
                let operand = self.single_operand()?;
                if matches!(op, Operator::In | Operator::NotIn)
                    && !matches!(operand, Operand::Function { .. })
                {
                    return Err(JqlError::syntax(
                        format!(
                            "Expecting a list of values or a function for the '{}' operator but got '{}'.",
                            op.text().to_uppercase(),
                            token.shown()
                        ),
                        token.pos,
                    ));
                }
                Ok(operand)
            }
        }
    }

    fn single_operand(&mut self) -> Result<Operand, JqlError> {
        let token = self.peek().clone();
        match &token.kind {
            Kind::Str(s) => {
                self.bump();
                Ok(Operand::Value(Literal {
                    text: s.clone(),
                    quoted: true,
                }))
            }
            Kind::Word(w) if w.eq_ignore_ascii_case("empty") || w.eq_ignore_ascii_case("null") => {
                self.bump();
                Ok(Operand::Empty)
            }
            Kind::Word(w) if !RESERVED.contains(&w.to_lowercase().as_str()) => {
                self.bump();
                if self.peek().kind == Kind::LParen {
                    self.bump();
                    let mut args = Vec::new();
                    while self.peek().kind != Kind::RParen {
                        match &self.peek().kind {
                            Kind::Word(a) | Kind::Str(a) => {
                                args.push(a.clone());
                                self.bump();
                            }
                            _ => return Err(self.error("a function argument or ')'", "")),
                        }
                        if self.peek().kind == Kind::Comma {
                            self.bump();
                        }
                    }
                    self.bump();
                    return Ok(Operand::Function {
                        name: w.clone(),
                        args,
                    });
                }
                Ok(Operand::Value(Literal {
                    text: w.clone(),
                    quoted: false,
                }))
            }
            Kind::Eof => Err(self.error("either a value, list or function", "")),
            _ => {
                let shown = token.shown();
                Err(self.error(
                    "either a value, list or function",
                    &format!(
                        " You must surround '{shown}' in quotation marks to use it as a value."
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(field: &str, op: Operator, value: &str) -> Expr {
        Expr::Clause(Clause {
            field: field.into(),
            op,
            operand: Operand::Value(Literal {
                text: value.into(),
                quoted: false,
            }),
        })
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tighter_than_and() {
        let q = parse("project = SUP OR NOT status = Done AND labels = x").expect("parses");
        assert_eq!(
            q.restriction,
            Some(Expr::Or(vec![
                clause("project", Operator::Eq, "SUP"),
                Expr::And(vec![
                    Expr::Not(Box::new(clause("status", Operator::Eq, "Done"))),
                    clause("labels", Operator::Eq, "x"),
                ]),
            ]))
        );
    }

    #[test]
    fn lists_empties_functions_and_order_by_parse() {
        let q = parse(
            "key not in (SUP-1, 'SUP-2') and assignee is not empty and reporter = currentUser() ORDER BY updated DESC, key",
        )
        .expect("parses");
        let Some(Expr::And(parts)) = q.restriction else {
            panic!("an AND");
        };
        assert!(
            matches!(&parts[0], Expr::Clause(c) if c.op == Operator::NotIn
            && matches!(&c.operand, Operand::List(items) if items.len() == 2))
        );
        assert!(
            matches!(&parts[1], Expr::Clause(c) if c.op == Operator::IsNot && c.operand == Operand::Empty)
        );
        assert!(
            matches!(&parts[2], Expr::Clause(c) if matches!(&c.operand, Operand::Function { name, .. } if name == "currentUser"))
        );
        assert_eq!(
            q.order,
            vec![
                SortKey {
                    field: "updated".into(),
                    descending: true
                },
                SortKey {
                    field: "key".into(),
                    descending: false
                },
            ]
        );
    }

    #[test]
    fn an_order_by_alone_has_no_restriction() {
        let q = parse("order by key desc").expect("parses");
        assert!(q.restriction.is_none());
        assert!(parse("").expect("parses").restriction.is_none());
    }

    #[test]
    fn syntax_errors_read_like_jiras() {
        let msg = |q: &str| parse(q).expect_err("fails").to_string();
        assert_eq!(
            msg("project SUP"),
            "Error in the JQL Query: Expecting operator but got 'SUP'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 9)"
        );
        assert_eq!(
            msg("project = "),
            "Error in the JQL Query: Expecting either a value, list or function before the end of the query. (line 1, character 11)"
        );
        assert_eq!(
            msg("project = SUP foo"),
            "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'foo'. (line 1, character 15)"
        );
        assert_eq!(
            msg("(project = SUP"),
            "Error in the JQL Query: Expecting ')' before the end of the query. (line 1, character 15)"
        );
    }
}
