//! The administrative subcommands as [`Request`]s, with how their replies are printed.

use super::Error;
use super::admin::Output;
use crate::admin::{Hidden, Request};
use crate::cli::{
    AuditCommand, Command, ImportCommand, KeyCommand, MailCommand, TokenCommand, UserCommand,
};
use crate::config;

fn table_or_json(json: bool) -> Output {
    if json { Output::Json } else { Output::Table }
}

fn record_or_json(json: bool) -> Output {
    if json { Output::Json } else { Output::Record }
}

/// The request an administrative `command` makes.
pub(super) fn of(command: Command) -> Result<(Request, Output), Error> {
    Ok(match command {
        Command::Backup { file } => {
            // The server runs elsewhere: it needs the path as this shell means it.
            let to = std::path::absolute(&file).map_err(|source| Error::Io {
                what: format!("resolving {}", file.display()),
                source,
            })?;
            (Request::Backup { to }, Output::Table)
        }
        Command::User(command) => user(command)?,
        Command::Key(command) => match command {
            KeyCommand::List { json } => (Request::KeyList, table_or_json(json)),
            KeyCommand::Rotate { now } => (Request::KeyRotate { now }, Output::Table),
            KeyCommand::Export { private, json } => {
                (Request::KeyExport { private }, record_or_json(json))
            }
        },
        Command::Token(command) => match command {
            TokenCommand::Issue { user, json } => {
                (Request::TokenIssue { user }, record_or_json(json))
            }
            TokenCommand::Verify { token } => {
                let token = if token == "-" {
                    stdin_line("the token")?
                } else {
                    token
                };
                let token = Hidden(token);
                (Request::TokenVerify { token }, Output::Record)
            }
            TokenCommand::Inspect { .. } => {
                return Err(usage("token inspect needs no database"));
            }
        },
        Command::Mail(command) => match command {
            MailCommand::List { parked, json } => {
                (Request::MailList { parked }, table_or_json(json))
            }
            MailCommand::Retry { id, parked: _ } => (Request::MailRetry { id }, Output::Table),
            MailCommand::Drop { id, parked: _ } => (Request::MailDrop { id }, Output::Table),
        },
        Command::Audit(command) => match command {
            AuditCommand::List { user, since, json } => {
                let since = since
                    .map(|text| {
                        config::duration(&text.as_str().into())
                            .map_err(|e| usage(&format!("--since {text}: {e}")))
                    })
                    .transpose()?
                    .map(|d| d.as_secs());
                (Request::AuditList { user, since }, table_or_json(json))
            }
            AuditCommand::Verify => (Request::AuditVerify, Output::Table),
        },
        Command::Doctor { send_to, json } => (Request::Doctor { send_to }, table_or_json(json)),
        Command::Import(ImportCommand::Django {
            file,
            dry_run,
            json,
        }) => {
            // The server may be the one reading it: it needs the path as this shell means it.
            let file = std::path::absolute(&file).map_err(|source| Error::Io {
                what: format!("resolving {}", file.display()),
                source,
            })?;
            (Request::ImportDjango { file, dry_run }, table_or_json(json))
        }
        Command::Serve { .. } | Command::Init { .. } | Command::CheckConfig => {
            return Err(usage("not an administrative command"));
        }
    })
}

fn usage(message: &str) -> Error {
    crate::admin::Error::Usage(message.to_owned()).into()
}

fn user(command: UserCommand) -> Result<(Request, Output), Error> {
    Ok(match command {
        UserCommand::List { json } => (Request::UserList, table_or_json(json)),
        UserCommand::Show { user, json } => (Request::UserShow { user }, record_or_json(json)),
        UserCommand::Sessions { user, json } => {
            (Request::UserSessions { user }, table_or_json(json))
        }
        UserCommand::Activate { user } => (
            Request::UserDisabled {
                user,
                disabled: false,
            },
            Output::Table,
        ),
        UserCommand::Deactivate { user } => (
            Request::UserDisabled {
                user,
                disabled: true,
            },
            Output::Table,
        ),
        UserCommand::Create {
            email,
            nickname,
            password_stdin,
            json,
        } => (
            Request::UserCreate {
                email,
                nickname,
                password: password_from_stdin(password_stdin)?,
            },
            record_or_json(json),
        ),
        UserCommand::Delete { user } => (Request::UserDelete { user }, Output::Table),
        UserCommand::SetPassword {
            user,
            password_stdin,
            json,
        } => (
            Request::UserSetPassword {
                user,
                password: password_from_stdin(password_stdin)?,
            },
            record_or_json(json),
        ),
    })
}

/// One line of standard input, without its line end.
fn stdin_line(what: &str) -> Result<String, Error> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|source| Error::Io {
            what: format!("reading {what} from standard input"),
            source,
        })?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    if line.is_empty() {
        return Err(crate::admin::Error::Usage(format!("no {what} on standard input")).into());
    }
    Ok(line)
}

fn password_from_stdin(wanted: bool) -> Result<Option<Hidden>, Error> {
    wanted
        .then(|| stdin_line("password").map(Hidden))
        .transpose()
}
