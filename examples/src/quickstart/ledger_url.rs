//! Which ledger the quickstart runs on, from one URL (`PW_LEDGER_URL`).

use std::fmt;
use std::path::PathBuf;

/// The ledger of the quickstart, chosen by the scheme of one URL:
///
/// | URL | ledger | the shop's grants |
/// |---|---|---|
/// | `sqlite:PATH` (or `sqlite://PATH`) | a SQLite file: one instance on one machine | a table in the same file, in the ledger's transaction |
/// | `postgres://…` (or `postgresql://…`) | PostgreSQL: any number of instances | a table in the same database, in the ledger's transaction |
/// | `mysql://…` (or `mariadb://…`) | MySQL / MariaDB: any number of instances | a table in the same database, in the ledger's transaction |
/// | `redis://…` | Redis: any number of instances | a hash in the same server, idempotent on `ref` |
///
/// Any other scheme, or none, is an error that lists the accepted ones.
///
/// ```
/// use pw_examples::quickstart::LedgerUrl;
///
/// let url: LedgerUrl = "sqlite:shop.db".parse()?;
/// assert_eq!(url, LedgerUrl::Sqlite("shop.db".into()));
/// let url: LedgerUrl = "postgres://shop:hunter2@db.internal/shop".parse()?;
/// assert_eq!(url.to_string(), "postgres://shop:***@db.internal/shop"); // the password is never shown
/// assert!("ftp://example.com".parse::<LedgerUrl>().unwrap_err().contains("unknown scheme `ftp`"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum LedgerUrl {
    /// A SQLite file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, as given.
    Postgres(String),
    /// A MySQL / MariaDB connection URL, with the scheme `mysql://`
    /// (`mariadb://` is written as `mysql://`, which the driver reads).
    Mysql(String),
    /// A Redis connection URL, as given.
    Redis(String),
}

/// What `PW_LEDGER_URL` may be, for error messages.
const ACCEPTED: &str =
    "sqlite:PATH, postgres://USER@HOST/DATABASE, mysql://USER@HOST/DATABASE or redis://HOST:PORT";

impl std::str::FromStr for LedgerUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        let Some((scheme, rest)) = url.split_once(':') else {
            return Err(format!(
                "the ledger URL {url:?} has no scheme: use sqlite:{url} for a SQLite file, \
                 or one of {ACCEPTED}"
            ));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.is_empty() {
                    return Err(format!(
                        "the ledger URL {url:?} names no file: use sqlite:PATH, e.g. sqlite:pw-quickstart.db"
                    ));
                }
                if path.contains('?') {
                    return Err(format!(
                        "the ledger URL {url:?} has options (`?…`): the quickstart sets SQLite's \
                         options itself (WAL, synchronous=FULL); give the path alone"
                    ));
                }
                Ok(LedgerUrl::Sqlite(path.into()))
            }
            "postgres" | "postgresql" if rest.starts_with("//") => {
                Ok(LedgerUrl::Postgres(url.to_owned()))
            }
            "redis" | "rediss" if rest.starts_with("//") => Ok(LedgerUrl::Redis(url.to_owned())),
            "mysql" | "mariadb" if rest.starts_with("//") => {
                Ok(LedgerUrl::Mysql(format!("mysql:{rest}")))
            }
            "postgres" | "postgresql" | "mysql" | "mariadb" | "redis" | "rediss" => Err(format!(
                "the ledger URL {}: write {scheme}://HOST…, with `//`",
                Masked(url)
            )),
            other => Err(format!(
                "the ledger URL {} has an unknown scheme `{other}`: use one of {ACCEPTED}",
                Masked(url)
            )),
        }
    }
}

impl LedgerUrl {
    /// The name of the backend: `sqlite`, `postgres`, `mysql` or `redis`.
    ///
    /// ```
    /// let url: pw_examples::quickstart::LedgerUrl = "redis://127.0.0.1:6379".parse().unwrap();
    /// assert_eq!(url.backend(), "redis");
    /// ```
    pub fn backend(&self) -> &'static str {
        match self {
            LedgerUrl::Sqlite(_) => "sqlite",
            LedgerUrl::Postgres(_) => "postgres",
            LedgerUrl::Mysql(_) => "mysql",
            LedgerUrl::Redis(_) => "redis",
        }
    }
}

/// The URL with its password, if any, replaced by `***`.
impl fmt::Display for LedgerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            LedgerUrl::Postgres(url) | LedgerUrl::Mysql(url) | LedgerUrl::Redis(url) => {
                Masked(url).fmt(f)
            }
        }
    }
}

/// As [`Display`](fmt::Display): the password is never shown.
impl fmt::Debug for LedgerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LedgerUrl({self})")
    }
}

/// A URL shown with the password of its authority (`user:password@`) as
/// `***`.
struct Masked<'a>(&'a str);

impl fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        let start = url.find("://").map_or(0, |at| at + 3);
        let end = url[start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |at| start + at);
        let authority = &url[start..end];
        match authority.rfind('@') {
            Some(at) => match authority[..at].find(':') {
                Some(colon) => write!(f, "{}***{}", &url[..start + colon + 1], &url[start + at..]),
                None => f.write_str(url),
            },
            None => f.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LedgerUrl;

    fn parse(url: &str) -> Result<LedgerUrl, String> {
        url.parse()
    }

    #[test]
    fn sqlite_takes_a_path_with_or_without_slashes() {
        assert_eq!(
            parse("sqlite:shop.db"),
            Ok(LedgerUrl::Sqlite("shop.db".into()))
        );
        assert_eq!(
            parse("sqlite://shop.db"),
            Ok(LedgerUrl::Sqlite("shop.db".into()))
        );
        assert_eq!(
            parse("sqlite:///var/lib/shop.db"),
            Ok(LedgerUrl::Sqlite("/var/lib/shop.db".into()))
        );
        assert_eq!(parse("SQLite:a.db"), Ok(LedgerUrl::Sqlite("a.db".into())));
        assert!(parse("sqlite:").unwrap_err().contains("names no file"));
        assert!(parse("sqlite://").unwrap_err().contains("names no file"));
        assert!(parse("sqlite:a.db?mode=ro")
            .unwrap_err()
            .contains("path alone"));
    }

    #[test]
    fn postgres_and_redis_keep_the_url_as_given() {
        let pg = "postgres://postgres@127.0.0.1:5432/test";
        assert_eq!(parse(pg), Ok(LedgerUrl::Postgres(pg.into())));
        let pg = "postgresql://u:p@h/d?sslmode=disable";
        assert_eq!(parse(pg), Ok(LedgerUrl::Postgres(pg.into())));
        let redis = "redis://127.0.0.1:6379/2";
        assert_eq!(parse(redis), Ok(LedgerUrl::Redis(redis.into())));
        assert!(parse("postgres:db").unwrap_err().contains("with `//`"));
        assert!(parse("redis:host").unwrap_err().contains("with `//`"));
    }

    #[test]
    fn mysql_and_mariadb_are_one_backend_and_hide_the_password() {
        let url = parse("mysql://root@127.0.0.1/test").unwrap();
        assert_eq!(url, LedgerUrl::Mysql("mysql://root@127.0.0.1/test".into()));
        assert_eq!(url.backend(), "mysql");
        let url = parse("mariadb://root:pw@127.0.0.1/test").unwrap();
        assert_eq!(
            url,
            LedgerUrl::Mysql("mysql://root:pw@127.0.0.1/test".into())
        );
        assert_eq!(url.to_string(), "mysql://root:***@127.0.0.1/test");
        let error = parse("mysql:root:pw@127.0.0.1/test").unwrap_err();
        assert!(error.contains("with `//`"), "{error}");
        assert!(!error.contains(":pw@"), "a password in an error: {error}");
    }

    #[test]
    fn an_unknown_scheme_or_none_is_a_clear_error() {
        let error = parse("ftp://user:secret@example.com/x").unwrap_err();
        assert!(error.contains("unknown scheme `ftp`"), "{error}");
        assert!(error.contains("sqlite:PATH, postgres://"), "{error}");
        assert!(!error.contains("secret"), "a password in an error: {error}");
        let error = parse("shop.db").unwrap_err();
        assert!(
            error.contains("has no scheme: use sqlite:shop.db"),
            "{error}"
        );
        assert!(parse("").unwrap_err().contains("has no scheme"));
    }

    #[test]
    fn passwords_are_never_shown() {
        let url = parse("postgres://shop:hunter2@db:5432/shop?sslmode=require").unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://shop:***@db:5432/shop?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("hunter2"));
        let url = parse("redis://:hunter2@127.0.0.1:6379").unwrap();
        assert_eq!(url.to_string(), "redis://:***@127.0.0.1:6379");
        let url = parse("redis://127.0.0.1:6379").unwrap();
        assert_eq!(url.to_string(), "redis://127.0.0.1:6379");
        let url = parse("postgres://postgres@127.0.0.1/test").unwrap();
        assert_eq!(url.to_string(), "postgres://postgres@127.0.0.1/test");
    }
}
