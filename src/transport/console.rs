//! The local console: one chat conversation in the terminal, no account needed.
//!
//! Each line is a message; later lines refine the same case; `reset` starts over; end of input
//! (Ctrl-D) quits. The console is the embedded default front end when no Discord token is set.
//! It decides with `decider`: the engine itself, or a decision service in remote mode, in which
//! case an unreachable service is reported and the next line tries again.

use crate::engine::{Conversation, Decider, Engine, Reply};
use crate::render;
use std::io::{self, BufRead, Write};

/// Runs the console over `input` and `output` until end of input.
pub fn run(
    engine: &Engine,
    decider: &dyn Decider,
    input: impl BufRead,
    mut output: impl Write,
    prompt: bool,
) -> io::Result<()> {
    let mut conversation = Conversation::default();
    if prompt {
        writeln!(output, "netboard — decision support for NET care teams. Type a case; `help` for examples, `reset` for a new case, Ctrl-D to quit.")?;
        writeln!(output, "Post no patient identifiers.")?;
        write!(output, "> ")?;
        output.flush()?;
    }
    for line in input.lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                writeln!(
                    output,
                    "That line was not valid UTF-8 text; please type it again."
                )?;
                continue;
            }
            Err(e) => return Err(e),
        };
        if !line.trim().is_empty() {
            match engine.answer_with(decider, &mut conversation, &line) {
                Ok(Reply::Reset) => {
                    writeln!(output, "New case: the earlier features are cleared.")?
                }
                Ok(Reply::Answer(answer)) => write!(output, "{}", render::plain(&answer))?,
                Err(error) => write!(output, "{}", render::no_decision(&error))?,
            }
            writeln!(output)?;
        }
        if prompt {
            write!(output, "> ")?;
            output.flush()?;
        }
    }
    if prompt {
        writeln!(output)?;
    }
    Ok(())
}
