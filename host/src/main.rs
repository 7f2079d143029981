//! wasipy: the native host for python.wasm. This file only dispatches to a command.

mod cgi;
mod component;
mod grants;
mod limits;
mod options;
mod output;
mod run_command;
mod sandbox;
mod serve_command;
mod snapshot_command;
mod verdict;

use clap::{Parser, Subcommand};

/// Run python.wasm (Python 3 for WASI) in a sandbox, with grants, limits and a verdict.
#[derive(Parser, Debug)]
#[command(name = "wasipy", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Run(run_command::RunCommand),
    Serve(serve_command::ServeCommand),
    Snapshot(snapshot_command::SnapshotCommand),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(command) => command.execute(),
        Command::Serve(command) => command.execute(),
        Command::Snapshot(command) => command.execute(),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(message) => {
            eprintln!("wasipy: {message}");
            std::process::exit(verdict::EXIT_USAGE);
        }
    }
}
