//! The command line as written: clap configured for CPython's grammar, validation only. It reads no
//! environment and decides nothing; `config.rs` resolves these words into a `Config`.
//!
//! CPython's grammar, and how clap is told about it:
//! - `-c CMD` and `-m MOD` end option parsing: everything after them is `sys.argv[1:]`. They take all
//!   remaining words (`num_args(1..)`, hyphen values allowed); the first is the command or module.
//! - The first word that is not an option (a script, or `-` for stdin) also ends option parsing
//!   (`trailing_var_arg`). `--` ends options too.
//! - Short flags combine (`-bBc CMD`, `-ccode`, `-Wdefault`); `-b -d -O -v -V` count.
//! - Help, version and usage errors are CPython's texts, not clap's.

use clap::builder::ValueParser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches, Command};

/// The words of the command line, sorted by flag. `Option`/`Vec` where a flag can be absent or repeat.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CommandLine {
    pub bytes_warning: u8,
    pub dont_write_bytecode: bool,
    /// `-c CMD arg…`: the command, then the words after it.
    pub command: Option<Vec<String>>,
    pub debug: u8,
    pub ignore_environment: bool,
    pub help: Option<HelpTopic>,
    pub inspect: bool,
    pub isolated: bool,
    /// `-m MOD arg…`: the module, then the words after it.
    pub module: Option<Vec<String>>,
    pub optimize: u8,
    pub safe_path: bool,
    pub quiet: bool,
    pub hash_randomization: bool,
    pub no_user_site: bool,
    pub no_site: bool,
    pub unbuffered: bool,
    pub verbose: u8,
    pub version: u8,
    pub warnoptions: Vec<String>,
    pub skip_first_line: bool,
    pub xoptions: Vec<String>,
    pub check_hash_based_pycs: Option<String>,
    /// The script (or `-`) and the words after it.
    pub script_and_args: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HelpTopic {
    Options,
    Env,
    XOptions,
    All,
}

/// A command line CPython would refuse: the first line of its message (`unknown option --x`,
/// `Argument expected for the -c option`). The usage lines are added by `usage_error_text`.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageError(pub String);

// (id, short, long, what it is) for the flags that take no value; the `help` column is never shown
// (help is CPython's text in `help_text`), it documents the flag here.
const SWITCHES: &[(&str, char, Option<&str>, &str)] = &[
    ("dont_write_bytecode", 'B', None, "don't write .pyc files on import"),
    ("ignore_environment", 'E', None, "ignore PYTHON* environment variables"),
    ("inspect", 'i', None, "inspect interactively after running script"),
    ("isolated", 'I', None, "isolate from the user's environment (implies -E -P -s)"),
    ("safe_path", 'P', None, "don't prepend a potentially unsafe path to sys.path"),
    ("quiet", 'q', None, "don't print version and copyright messages on interactive startup"),
    ("hash_randomization", 'R', None, "hash randomization (on by default; kept for compatibility)"),
    ("no_user_site", 's', None, "don't add the user site directory to sys.path"),
    ("no_site", 'S', None, "don't imply 'import site' on initialization"),
    ("unbuffered", 'u', None, "force the stdout and stderr streams to be unbuffered"),
    ("skip_first_line", 'x', None, "skip first line of source"),
];

const COUNTERS: &[(&str, char, Option<&str>)] = &[
    ("bytes_warning", 'b', None),
    ("debug", 'd', None),
    ("optimize", 'O', None),
    ("verbose", 'v', None),
    ("version", 'V', Some("version")),
];

fn command() -> Command {
    let mut cmd = Command::new("python")
        .no_binary_name(false)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .dont_delimit_trailing_values(true);
    for &(id, short, long, help) in SWITCHES {
        let arg = Arg::new(id).short(short).action(ArgAction::SetTrue).help(help);
        cmd = cmd.arg(if let Some(long) = long { arg.long(long) } else { arg });
    }
    for &(id, short, long) in COUNTERS {
        let arg = Arg::new(id).short(short).action(ArgAction::Count);
        cmd = cmd.arg(if let Some(long) = long { arg.long(long) } else { arg });
    }
    cmd.arg(Arg::new("help").short('h').short_alias('?').long("help").action(ArgAction::SetTrue))
        .arg(Arg::new("help_env").long("help-env").action(ArgAction::SetTrue))
        .arg(Arg::new("help_xoptions").long("help-xoptions").action(ArgAction::SetTrue))
        .arg(Arg::new("help_all").long("help-all").action(ArgAction::SetTrue))
        .arg(Arg::new("W").short('W').action(ArgAction::Append).num_args(1).allow_hyphen_values(true))
        .arg(Arg::new("X").short('X').action(ArgAction::Append).num_args(1).allow_hyphen_values(true))
        .arg(
            Arg::new("check_hash_based_pycs")
                .long("check-hash-based-pycs")
                .num_args(1)
                .overrides_with("check_hash_based_pycs"),
        )
        .arg(terminal_option("command", 'c'))
        .arg(terminal_option("module", 'm'))
        .arg(
            Arg::new("script_and_args")
                .num_args(1..)
                .trailing_var_arg(true)
                .value_parser(ValueParser::os_string()),
        )
}

/// `-c`/`-m`: the option's value and every word after it, so that option parsing ends there.
fn terminal_option(id: &'static str, short: char) -> Arg {
    Arg::new(id)
        .short(short)
        .num_args(1..)
        .allow_hyphen_values(true)
        .action(ArgAction::Set)
        .value_parser(ValueParser::os_string())
}

/// Parses `argv` (with `argv[0]`) as CPython would.
pub fn parse(argv: &[String]) -> Result<CommandLine, UsageError> {
    let matches = command().try_get_matches_from(argv).map_err(|e| usage_error(&e))?;
    Ok(from_matches(&matches))
}

fn from_matches(m: &ArgMatches) -> CommandLine {
    let flag = |id: &str| m.get_flag(id);
    let count = |id: &str| m.get_count(id);
    let words = |id: &str| {
        m.get_many::<std::ffi::OsString>(id)
            .map(|v| v.map(|s| s.to_string_lossy().into_owned()).collect::<Vec<_>>())
    };
    let strings = |id: &str| m.get_many::<String>(id).map(|v| v.cloned().collect()).unwrap_or_default();
    let help = if flag("help_all") {
        Some(HelpTopic::All)
    } else if flag("help_env") {
        Some(HelpTopic::Env)
    } else if flag("help_xoptions") {
        Some(HelpTopic::XOptions)
    } else if flag("help") {
        Some(HelpTopic::Options)
    } else {
        None
    };
    CommandLine {
        bytes_warning: count("bytes_warning"),
        dont_write_bytecode: flag("dont_write_bytecode"),
        command: words("command"),
        debug: count("debug"),
        ignore_environment: flag("ignore_environment"),
        help,
        inspect: flag("inspect"),
        isolated: flag("isolated"),
        module: words("module"),
        optimize: count("optimize"),
        safe_path: flag("safe_path"),
        quiet: flag("quiet"),
        hash_randomization: flag("hash_randomization"),
        no_user_site: flag("no_user_site"),
        no_site: flag("no_site"),
        unbuffered: flag("unbuffered"),
        verbose: count("verbose"),
        version: count("version"),
        warnoptions: strings("W"),
        skip_first_line: flag("skip_first_line"),
        xoptions: strings("X"),
        check_hash_based_pycs: m.get_one::<String>("check_hash_based_pycs").cloned(),
        script_and_args: words("script_and_args").unwrap_or_default(),
    }
}

/// CPython's first line for what clap refused (`Modules/main.c`, `Python/getopt.c`).
fn usage_error(e: &clap::Error) -> UsageError {
    let invalid = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    // clap names an option as `-c <command>...`; CPython names the flag alone.
    let flag = invalid.split_whitespace().next().unwrap_or("").to_owned();
    let text = match e.kind() {
        ErrorKind::UnknownArgument if flag.starts_with("--") => format!("unknown option {flag}"),
        ErrorKind::UnknownArgument => format!("Unknown option: {}", &flag[..flag.len().min(2)]),
        ErrorKind::InvalidValue | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues
            if flag.starts_with("--") =>
        {
            format!("{flag} requires an argument")
        }
        ErrorKind::InvalidValue | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("Argument expected for the {flag} option")
        }
        _ => e.to_string().lines().next().unwrap_or("invalid command line").to_owned(),
    };
    UsageError(text)
}

/// What CPython prints for a usage error, after the first line (`usage()` in `Modules/main.c`).
pub fn usage_error_text(program: &str, error: &UsageError) -> String {
    format!("{}\n{}Try `python -h' for more information.\n", error.0, usage_line(program))
}

fn usage_line(program: &str) -> String {
    format!("usage: {program} [option] ... [-c cmd | -m mod | file | -] [arg] ...\n")
}

/// `-h`: CPython's option summary, for the options python.wasm has.
pub fn help_text(program: &str, topic: HelpTopic) -> String {
    let mut text = usage_line(program);
    if matches!(topic, HelpTopic::Options | HelpTopic::All) {
        text.push_str(HELP_OPTIONS);
    }
    if matches!(topic, HelpTopic::XOptions | HelpTopic::All) {
        text.push_str(HELP_XOPTIONS);
    }
    if matches!(topic, HelpTopic::Env | HelpTopic::All) {
        text.push_str(HELP_ENV);
    }
    text
}

const HELP_OPTIONS: &str = "\
Options (and corresponding environment variables):
-b     : issue warnings about str(bytes_instance), str(bytearray_instance)
         and comparing bytes/bytearray with str. (-bb: issue errors)
-B     : don't write .pyc files on import; also PYTHONDONTWRITEBYTECODE=x
-c cmd : program passed in as string (terminates option list)
-d     : turn on parser debugging output (for experts only)
-E     : ignore PYTHON* environment variables (such as PYTHONPATH)
-h     : print this help message and exit (also -? or --help)
-i     : inspect interactively after running script; forces a prompt even
         if stdin does not appear to be a terminal; also PYTHONINSPECT=x
-I     : isolate Python from the user's environment (implies -E, -P and -s)
-m mod : run library module as a script (terminates option list)
-O     : remove assert and __debug__-dependent statements; also PYTHONOPTIMIZE=x
-OO    : do -O changes and also discard docstrings
-P     : don't prepend a potentially unsafe path to sys.path; also PYTHONSAFEPATH
-q     : don't print version and copyright messages on interactive startup
-R     : hash randomization (the default; PYTHONHASHSEED=N fixes the seed)
-s     : don't add user site directory to sys.path; also PYTHONNOUSERSITE
-S     : don't imply 'import site' on initialization
-u     : force the stdout and stderr streams to be unbuffered;
         this option has no effect on stdin; also PYTHONUNBUFFERED=x
-v     : verbose (trace import statements); also PYTHONVERBOSE=x
         can be supplied multiple times to increase verbosity
-V     : print the Python version number and exit (also --version)
         when given twice, print more information about the build
-W arg : warning control; arg is action:message:category:module:lineno
         also PYTHONWARNINGS=arg
-x     : skip first line of source, allowing use of non-Unix forms of #!cmd
-X opt : set implementation-specific option
--check-hash-based-pycs always|default|never:
         control how Python invalidates hash-based .pyc files
--help-env      : print help about Python environment variables and exit
--help-xoptions : print help about implementation-specific -X options and exit
--help-all      : print complete help information and exit
Arguments:
file   : program read from script file
-      : program read from stdin (default; interactive mode if a tty)
arg ...: arguments passed to program in sys.argv[1:]
";

const HELP_XOPTIONS: &str = "\
The following implementation-specific options are available:
-X dev : enable Python Development Mode
-X int_max_str_digits=number: limit the size of int<->str conversions
-X no_debug_ranges: don't include column positions in code objects
-X utf8: enable UTF-8 mode for operating system interfaces
-X warn_default_encoding: enable opt-in EncodingWarning for 'encoding=None'
";

const HELP_ENV: &str = "\
Environment variables that change behavior (python.wasm sees only what the WASI host passes):
PYTHONSTARTUP   : file executed on interactive startup (no default)
PYTHONPATH      : ':'-separated list of directories prefixed to the
                  default module search path.  The result is sys.path.
PYTHONSAFEPATH  : don't prepend a potentially unsafe path to sys.path.
PYTHONINSPECT   : inspect interactively after running script (-i)
PYTHONUNBUFFERED: force the stdout and stderr streams to be unbuffered (-u)
PYTHONVERBOSE   : trace import statements (-v)
PYTHONOPTIMIZE  : remove assert and __debug__-dependent statements (-O)
PYTHONDONTWRITEBYTECODE: don't write .pyc files (-B)
PYTHONWARNINGS  : warning control (-W)
PYTHONHASHSEED  : if this variable is set to 'random', a random value is used
                  to seed the hashes of str and bytes objects.  It can also be
                  set to an integer in the range [0,4294967295] to get hash
                  values with a predictable seed.
PYTHONIOENCODING: encoding[:errors] used for stdin/stdout/stderr.
PYTHONUTF8      : if set to 1, enable the UTF-8 mode.
PYTHONNOUSERSITE: disable user site directory (-s)
";

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<CommandLine, UsageError> {
        let argv: Vec<String> = std::iter::once("python.wasm").chain(words.iter().copied()).map(String::from).collect();
        parse(&argv)
    }

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_ends_option_parsing() {
        let cl = parse_words(&["-c", "print(1)", "-v", "--", "x"]).unwrap();
        assert_eq!(cl.command, Some(strings(&["print(1)", "-v", "--", "x"])));
        assert_eq!(cl.verbose, 0);
    }

    #[test]
    fn combined_flags_with_command() {
        let cl = parse_words(&["-bBc", "pass", "a"]).unwrap();
        assert_eq!(cl.bytes_warning, 1);
        assert!(cl.dont_write_bytecode);
        assert_eq!(cl.command, Some(strings(&["pass", "a"])));
        let cl = parse_words(&["-cpass"]).unwrap();
        assert_eq!(cl.command, Some(strings(&["pass"])));
    }

    #[test]
    fn counted_flags() {
        let cl = parse_words(&["-OO", "-vv", "-VV"]).unwrap();
        assert_eq!((cl.optimize, cl.verbose, cl.version), (2, 2, 2));
    }

    #[test]
    fn script_ends_option_parsing() {
        let cl = parse_words(&["-u", "s.py", "-c", "x", "-m"]).unwrap();
        assert!(cl.unbuffered);
        assert_eq!(cl.script_and_args, strings(&["s.py", "-c", "x", "-m"]));
        assert_eq!(cl.command, None);
        let cl = parse_words(&["-", "a"]).unwrap();
        assert_eq!(cl.script_and_args, strings(&["-", "a"]));
        let cl = parse_words(&["--", "-s.py"]).unwrap();
        assert_eq!(cl.script_and_args, strings(&["-s.py"]));
    }

    #[test]
    fn module_ends_option_parsing() {
        let cl = parse_words(&["-m", "json.tool", "-h"]).unwrap();
        assert_eq!(cl.module, Some(strings(&["json.tool", "-h"])));
        assert_eq!(cl.help, None);
    }

    #[test]
    fn warn_and_x_options_repeat() {
        let cl = parse_words(&["-Werror", "-W", "ignore::DeprecationWarning", "-X", "utf8", "-Xdev"]).unwrap();
        assert_eq!(cl.warnoptions, strings(&["error", "ignore::DeprecationWarning"]));
        assert_eq!(cl.xoptions, strings(&["utf8", "dev"]));
    }

    #[test]
    fn usage_errors_are_cpythons() {
        assert_eq!(parse_words(&["--x"]).unwrap_err().0, "unknown option --x");
        assert_eq!(parse_words(&["-Z"]).unwrap_err().0, "Unknown option: -Z");
        assert_eq!(parse_words(&["-c"]).unwrap_err().0, "Argument expected for the -c option");
        assert_eq!(parse_words(&["-W"]).unwrap_err().0, "Argument expected for the -W option");
        assert_eq!(parse_words(&["-m"]).unwrap_err().0, "Argument expected for the -m option");
        assert_eq!(parse_words(&["-X"]).unwrap_err().0, "Argument expected for the -X option");
    }

    #[test]
    fn repeated_terminal_option_is_an_argument() {
        let cl = parse_words(&["-c", "x", "-c", "y"]).unwrap();
        assert_eq!(cl.command, Some(strings(&["x", "-c", "y"])));
    }

    #[test]
    fn help_spellings() {
        for word in ["-h", "-?", "--help"] {
            assert_eq!(parse_words(&[word]).unwrap().help, Some(HelpTopic::Options), "{word}");
        }
        assert_eq!(parse_words(&["--help-all"]).unwrap().help, Some(HelpTopic::All));
    }
}
