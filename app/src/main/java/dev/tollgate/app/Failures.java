package dev.tollgate.app;

import dev.tollgate.gateway.config.ConfigLoader.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;

/**
 * How every command fails: one line on stderr, {@code tollgate COMMAND: what went wrong and what to do}, and a
 * non-zero exit status (2 for a mistake in the command line or the configuration, 1 otherwise). {@code --verbose}
 * adds the stack trace, for bug reports.
 */
final class Failures implements IExecutionExceptionHandler, IParameterExceptionHandler {

    static final String VERBOSE = "--verbose";

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) {
        print(cmd, ex, message(ex), parsed.originalArgs().contains(VERBOSE));
        return ex instanceof ConfigException ? 2 : 1;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String line = ex.getMessage();
        if (ex instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            line += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
        }
        line += " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')";
        print(cmd, ex, line, Arrays.asList(args).contains(VERBOSE));
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    private static void print(CommandLine cmd, Exception ex, String line, boolean verbose) {
        PrintWriter err = cmd.getErr();
        if (verbose) ex.printStackTrace(err);
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + line);
        err.flush();
    }

    /** Why a file operation failed, in words ("Not a directory", "Read-only file system"), without the path. */
    static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        if (e instanceof NoSuchFileException) return "no such file or directory";
        if (e instanceof AccessDeniedException) return "permission denied";
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** The one line for a failure: the messages of our own exceptions are written for people; the JDK's are named. */
    static String message(Throwable ex) {
        return switch (ex) {
            case ConfigException e -> e.getMessage();
            case UserError e -> e.getMessage();
            case LedgerReader.Failure e -> e.getMessage();
            case NoSuchFileException e -> e.getFile() + ": no such file or directory (check the path)";
            case AccessDeniedException e -> e.getFile() + ": permission denied (choose a path you may use)";
            case FileSystemException e -> e.getFile() + ": " + (e.getReason() != null ? e.getReason() : "cannot be used")
                    + " (choose another path)";
            case UncheckedIOException e -> message(e.getCause());
            default -> "unexpected " + ex.getClass().getSimpleName()
                    + (ex.getMessage() == null ? "" : ": " + ex.getMessage().lines().findFirst().orElse(""))
                    + " (a bug: run again with " + VERBOSE + " and report the trace)";
        };
    }
}
