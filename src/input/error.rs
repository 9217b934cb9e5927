//! Errors that reach the user. Bad input (exit 2) always names the file, and where known the
//! line, column and field path; internal errors (exit 1) are bugs in the simulator; output
//! errors (exit 4) are results that could not be written.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Field path inside the document, like `spec.replicatedJobs[0].replicas`.
    pub path: Option<String>,
    pub message: String,
}

impl InputError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line: None,
            column: None,
            path: None,
            message: message.into(),
        }
    }

    pub fn at_path(mut self, path: impl Into<String>) -> Self {
        let p = path.into();
        self.path = if p.is_empty() || p == "." {
            None
        } else {
            Some(p)
        };
        self
    }

    pub fn at_line(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Everything that can stop a command.
#[derive(Debug)]
pub enum SimError {
    /// The user's input is wrong: exit code 2.
    Input(Vec<InputError>),
    /// Something failed that is not the input's fault (a broken invariant): exit 1.
    Internal(String),
    /// The results could not be written (disk full, no permission): exit 4. Nothing was
    /// replaced; the message names the folder or file and the system's reason.
    Output(String),
}

impl SimError {
    pub fn input(e: InputError) -> Self {
        SimError::Input(vec![e])
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            SimError::Input(_) => 2,
            SimError::Internal(_) => 1,
            SimError::Output(_) => 4,
        }
    }
}

impl From<InputError> for SimError {
    fn from(e: InputError) -> Self {
        SimError::input(e)
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Input(errors) => {
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "error: {e}")?;
                }
                Ok(())
            }
            SimError::Internal(msg) => write!(f, "internal error: {msg}"),
            SimError::Output(msg) => write!(f, "error: {msg}"),
        }
    }
}
