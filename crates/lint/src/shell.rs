//! A small POSIX-shell reader for the scripts in `RUN` instructions: enough to find the simple
//! commands (name + arguments), the pipelines they form and the `&&`/`;` lists they sit in.
//! It is not an interpreter: quoting, escapes, comments, `$(…)`/`<(…)`/backtick substitutions
//! and redirections are recognised so that words come out right; expansions are kept verbatim.

/// One simple command: its words after leading assignments and wrappers (`sudo`, `env`, …)
/// were removed. `sudo` records whether a `sudo` wrapper was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    pub words: Vec<String>,
    pub sudo: bool,
}

impl SimpleCommand {
    /// The command's base name (`/usr/bin/apt-get` → `apt-get`), or "" when it has no words.
    pub fn name(&self) -> &str {
        self.words
            .first()
            .map(|w| w.rsplit('/').next().unwrap_or(w))
            .unwrap_or("")
    }

    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or(&[])
    }
}

/// Commands joined by `|`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipeline {
    pub commands: Vec<SimpleCommand>,
}

/// A whole script: its pipelines in order (lists, subshells and compound commands flattened).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    pub pipelines: Vec<Pipeline>,
}

impl Script {
    pub fn commands(&self) -> impl Iterator<Item = &SimpleCommand> {
        self.pipelines.iter().flat_map(|p| p.commands.iter())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    /// `|`
    Pipe,
    /// `&&`, `||`, `;`, `&`, newline, `(`, `)`
    Sep,
    /// A redirection operator (`>`, `>>`, `<`, `2>`, `&>`, `<<<`, …) whose target is the next
    /// word, unless the operator already carries it (`2>&1`).
    Redirect {
        needs_target: bool,
    },
}

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"];

/// Keywords that may start a compound command; the command proper follows them.
const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
];

pub fn is_shell(name: &str) -> bool {
    SHELLS.contains(&name)
}

/// Parse a script. Never fails: unbalanced quotes run to the end of the text.
pub fn parse(script: &str) -> Script {
    parse_depth(script, 0)
}

fn parse_depth(script: &str, depth: usize) -> Script {
    let toks = lex(script);
    let mut out = Script::default();
    let mut pipeline = Pipeline::default();
    let mut words: Vec<String> = Vec::new();
    let mut skip_next_word = false;
    // Commands of `sh -c '…'` scripts, appended after the pipeline that ran them.
    let mut inner: Vec<Pipeline> = Vec::new();
    let flush_cmd =
        |words: &mut Vec<String>, pipeline: &mut Pipeline, inner: &mut Vec<Pipeline>| {
            if let Some(cmd) = simple_command(std::mem::take(words)) {
                if depth < 3
                    && is_shell(cmd.name())
                    && let Some(pos) = cmd.words.iter().position(|w| w == "-c")
                    && let Some(script) = cmd.words.get(pos + 1)
                {
                    inner.extend(parse_depth(script, depth + 1).pipelines);
                }
                pipeline.commands.push(cmd);
            }
        };
    let end_pipeline = |pipeline: &mut Pipeline, inner: &mut Vec<Pipeline>, out: &mut Script| {
        if !pipeline.commands.is_empty() {
            out.pipelines.push(std::mem::take(pipeline));
        }
        out.pipelines.append(inner);
    };
    for t in toks {
        match t {
            Tok::Word(w) => {
                if skip_next_word {
                    skip_next_word = false;
                } else {
                    words.push(w);
                }
            }
            Tok::Redirect { needs_target } => skip_next_word = needs_target,
            Tok::Pipe => {
                skip_next_word = false;
                flush_cmd(&mut words, &mut pipeline, &mut inner);
            }
            Tok::Sep => {
                skip_next_word = false;
                flush_cmd(&mut words, &mut pipeline, &mut inner);
                end_pipeline(&mut pipeline, &mut inner, &mut out);
            }
        }
    }
    flush_cmd(&mut words, &mut pipeline, &mut inner);
    end_pipeline(&mut pipeline, &mut inner, &mut out);
    out
}

/// Strip keywords, leading `VAR=value` assignments and wrappers (`sudo`, `env`, `exec`,
/// `nohup`, `command`) from a word list.
fn simple_command(mut words: Vec<String>) -> Option<SimpleCommand> {
    let mut sudo = false;
    loop {
        let first = words.first()?;
        let base = first.rsplit('/').next().unwrap_or(first);
        if KEYWORDS.contains(&base) || is_assignment(first) {
            words.remove(0);
        } else if base == "sudo" || base == "doas" {
            sudo = true;
            words.remove(0);
            // sudo's own options (`-E`, `-u user`, `--preserve-env=…`).
            while let Some(w) = words.first() {
                if w == "-u" || w == "-g" || w == "-C" || w == "-h" || w == "-p" {
                    words.drain(..words.len().min(2));
                } else if w.starts_with('-') {
                    words.remove(0);
                } else {
                    break;
                }
            }
        } else if matches!(base, "env" | "exec" | "nohup" | "command" | "nice") {
            words.remove(0);
            while words.first().is_some_and(|w| w.starts_with('-')) {
                words.remove(0);
            }
        } else {
            break;
        }
    }
    if words.is_empty() {
        return None;
    }
    // `for x in a b c` and `case … in`: not commands we analyse.
    if matches!(words[0].as_str(), "for" | "case" | "select" | "function") {
        return None;
    }
    Some(SimpleCommand { words, sudo })
}

fn is_assignment(w: &str) -> bool {
    match w.find('=') {
        Some(i) if i > 0 => {
            w[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !w.as_bytes()[0].is_ascii_digit()
        }
        _ => false,
    }
}

fn lex(s: &str) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut word = String::new();
    let mut in_word = false;
    let push_word = |word: &mut String, in_word: &mut bool, toks: &mut Vec<Tok>| {
        if *in_word {
            toks.push(Tok::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => {
                push_word(&mut word, &mut in_word, &mut toks);
                i += 1;
            }
            '\n' => {
                push_word(&mut word, &mut in_word, &mut toks);
                toks.push(Tok::Sep);
                i += 1;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\\' => {
                in_word = true;
                if let Some(&n) = chars.get(i + 1) {
                    if n != '\n' {
                        word.push(n);
                    }
                    i += 2;
                } else {
                    i += 1;
                }
            }
            '\'' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\'
                        && let Some(&n) = chars.get(i + 1)
                        && matches!(n, '"' | '\\' | '$' | '`' | '\n')
                    {
                        if n != '\n' {
                            word.push(n);
                        }
                        i += 2;
                        continue;
                    }
                    if chars[i] == '$' && chars.get(i + 1) == Some(&'(') {
                        i = copy_balanced(&chars, i, &mut word);
                        continue;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '`' => {
                in_word = true;
                word.push('`');
                i += 1;
                while i < chars.len() && chars[i] != '`' {
                    word.push(chars[i]);
                    i += 1;
                }
                word.push('`');
                i += 1;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                i = copy_balanced(&chars, i, &mut word);
            }
            '<' | '>' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                i = copy_balanced(&chars, i, &mut word);
            }
            '|' => {
                push_word(&mut word, &mut in_word, &mut toks);
                if chars.get(i + 1) == Some(&'|') {
                    toks.push(Tok::Sep);
                    i += 2;
                } else {
                    toks.push(Tok::Pipe);
                    i += 1;
                }
            }
            '&' => {
                if chars.get(i + 1) == Some(&'>') {
                    // &> / &>> redirect
                    push_word(&mut word, &mut in_word, &mut toks);
                    i += 2;
                    if chars.get(i) == Some(&'>') {
                        i += 1;
                    }
                    toks.push(Tok::Redirect { needs_target: true });
                } else {
                    push_word(&mut word, &mut in_word, &mut toks);
                    toks.push(Tok::Sep);
                    i += if chars.get(i + 1) == Some(&'&') { 2 } else { 1 };
                }
            }
            ';' | '(' | ')' => {
                push_word(&mut word, &mut in_word, &mut toks);
                toks.push(Tok::Sep);
                i += 1;
                if c == ';' && chars.get(i) == Some(&';') {
                    i += 1;
                }
            }
            '<' | '>' => {
                // A file-descriptor number right before the operator belongs to it (`2>`).
                if in_word && word.chars().all(|c| c.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                } else {
                    push_word(&mut word, &mut in_word, &mut toks);
                }
                i += 1;
                while i < chars.len() && (chars[i] == '<' || chars[i] == '>' || chars[i] == '|') {
                    i += 1;
                }
                let mut needs_target = true;
                if chars.get(i) == Some(&'&') {
                    // >&2, 2>&1, <&0
                    i += 1;
                    while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '-') {
                        i += 1;
                    }
                    needs_target = false;
                }
                toks.push(Tok::Redirect { needs_target });
            }
            _ => {
                in_word = true;
                word.push(c);
                i += 1;
            }
        }
    }
    push_word(&mut word, &mut in_word, &mut toks);
    toks
}

/// Copy `$(`…`)` / `<(`…`)` starting at `start` into `word`, parentheses balanced; returns
/// the index after the closing parenthesis (or the end of the text).
fn copy_balanced(chars: &[char], start: usize, word: &mut String) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        word.push(c);
        i += 1;
        if c == '(' {
            depth += 1;
        } else if c == ')' {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                break;
            }
        }
    }
    i
}

/// Split a word list into (options, operands) the way most package managers read them:
/// words starting with `-` are options; an option listed in `takes_value` consumes the next
/// word (unless written `--opt=value`). `--` ends options.
pub fn split_options<'a>(
    words: &'a [String],
    takes_value: &[&str],
) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut opts = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    let mut only_operands = false;
    while i < words.len() {
        let w = words[i].as_str();
        if !only_operands && w == "--" {
            only_operands = true;
        } else if !only_operands && w.starts_with('-') && w.len() > 1 {
            opts.push(w);
            if takes_value.contains(&w) && i + 1 < words.len() {
                opts.push(words[i + 1].as_str());
                i += 1;
            }
        } else {
            operands.push(w);
        }
        i += 1;
    }
    (opts, operands)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<Vec<String>> {
        parse(s)
            .pipelines
            .iter()
            .map(|p| p.commands.iter().map(|c| c.words.join(" ")).collect())
            .collect()
    }

    #[test]
    fn lists_pipes_quotes_redirects() {
        assert_eq!(
            names("apt-get update && apt-get install -y \"a b\" > /dev/null 2>&1; curl -s x | sh"),
            vec![
                vec!["apt-get update".to_string()],
                vec!["apt-get install -y a b".to_string()],
                vec!["curl -s x".to_string(), "sh".to_string()],
            ]
        );
    }

    #[test]
    fn wrappers_assignments_and_sh_c() {
        let s = parse("DEBIAN_FRONTEND=noninteractive sudo -E apt-get install x");
        let c = s.commands().next().unwrap();
        assert_eq!(c.name(), "apt-get");
        assert!(c.sudo);
        let s = parse("sh -c 'apk add gcc && echo ok'");
        let all: Vec<&str> = s.commands().map(|c| c.name()).collect();
        assert_eq!(all, vec!["sh", "apk", "echo"]);
    }

    #[test]
    fn substitutions_stay_in_one_word() {
        let s = parse("bash -c \"$(curl -fsSL https://x/y.sh)\" && bash <(wget -qO- u)");
        let words: Vec<Vec<String>> = s.commands().map(|c| c.words.clone()).collect();
        assert_eq!(words[0], vec!["bash", "-c", "$(curl -fsSL https://x/y.sh)"]);
        assert_eq!(words.last().unwrap(), &vec!["bash", "<(wget -qO- u)"]);
    }

    #[test]
    fn comments_and_if_blocks() {
        let s = parse("# note\nif true; then chmod 777 /x; fi # end");
        let all: Vec<String> = s.commands().map(|c| c.words.join(" ")).collect();
        assert_eq!(all, vec!["true", "chmod 777 /x"]);
    }
}
