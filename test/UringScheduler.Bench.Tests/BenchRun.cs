using Spectre.Console;
using UringScheduler.Bench.Running;

namespace UringScheduler.Bench.Tests;

/// <summary>Runs the tool in-process with captured output, as a user would from the shell.</summary>
internal sealed record BenchRun(int ExitCode, string Output, string Error)
{
    public static BenchRun Start(params string[] args)
    {
        StringWriter output = new();
        StringWriter error = new();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        int exitCode = new BenchApp(console, error).Run(args);
        return new BenchRun(exitCode, output.ToString(), error.ToString());
    }
}
