using UringScheduler.Tests.Limits;

namespace UringScheduler.Tests;

/// <summary>
/// The test assembly's entry point, for tests that need a process of their own (a lowered resource limit, dropped
/// capabilities): they run <c>dotnet UringScheduler.Tests.dll SCENARIO ARGS</c> and read what it prints. The test
/// runner itself never calls it.
/// </summary>
public static class Program
{
    public static int Main(string[] args) => args switch
    {
        [MemlockChild.Scenario, .. string[] rest] => MemlockChild.Run(rest),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine($"usage: dotnet UringScheduler.Tests.dll {MemlockChild.Scenario} DATA_FILE");
        return 2;
    }
}
