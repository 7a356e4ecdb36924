using System.Security;

namespace UringScheduler.Packaging.Tests;

/// <summary>
/// A fresh console project in a temporary folder that references the packages of a <see cref="LocalPackageFeed"/>
/// (not the projects), restored from that folder feed, built and run with the dotnet CLI as a user would.
/// </summary>
internal sealed class ConsumerProject
{
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(4);
    private readonly LocalPackageFeed _feed;

    private ConsumerProject(LocalPackageFeed feed, string directory, string name)
    {
        _feed = feed;
        Directory = directory;
        Name = name;
    }

    public string Directory { get; }

    public string Name { get; }

    public string ProjectPath => Path.Combine(Directory, Name + ".csproj");

    public string OutputDirectory => Path.Combine(Directory, "bin", "Release", "net10.0");

    public bool IsBuilt => File.Exists(Path.Combine(OutputDirectory, Name + ".dll"));

    /// <summary>
    /// Makes <paramref name="root"/> a place for consumer projects: a nuget.config with only the test's feed as a
    /// source, and empty Directory.Build.* files so that nothing above it leaks in. Every other package the consumers
    /// need is one the solution's own restore put in the user's packages folder (the packages' dependencies are the
    /// libraries' dependencies), read from there as a fallback folder: the restore needs no network.
    /// </summary>
    public static void PrepareRoot(LocalPackageFeed feed, string root)
    {
        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{SecurityElement.Escape(feed.Directory)}" />
              </packageSources>
              <fallbackPackageFolders>
                <clear />
                <add key="user" value="{SecurityElement.Escape(LocalPackageFeed.UserPackagesFolder)}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(root, "Directory.Packages.props"), "<Project />");
    }

    /// <summary>Writes a console project named <paramref name="name"/> in <paramref name="directory"/>, under a prepared root.</summary>
    public static ConsumerProject Create(LocalPackageFeed feed, string directory, string name, string programSource, params string[] packageIds)
    {
        System.IO.Directory.CreateDirectory(directory);
        string references = string.Concat(packageIds.Select(id =>
            $"""    <PackageReference Include="{id}" Version="{feed.Version}" />{Environment.NewLine}"""));
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <!-- The package source here serves newer patches of some of Garnet's dependencies than it names. -->
                <NoWarn>$(NoWarn);NU1603</NoWarn>
              </PropertyGroup>
              <ItemGroup>
            {references}  </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), programSource);
        return new ConsumerProject(feed, directory, name);
    }

    /// <summary>Restores from the feed and builds <paramref name="projectOrSolution"/> in Release.</summary>
    public static Task<(int ExitCode, string Output)> BuildAsync(LocalPackageFeed feed, string projectOrSolution) =>
        DotNetCli.RunAsync(Path.GetDirectoryName(projectOrSolution)!, CliEnvironment(feed), s_buildTimeout,
            "build", projectOrSolution, "-c", "Release", "-nologo", "-v:minimal", "-clp:NoSummary",
            "-nodeReuse:false");

    /// <summary>Runs the built program with its working directory set to the project's folder.</summary>
    public Task<(int ExitCode, string Output)> RunAsync(params string[] arguments) =>
        DotNetCli.RunAsync(Directory, CliEnvironment(_feed), TimeSpan.FromMinutes(1), [Path.Combine(OutputDirectory, Name + ".dll"), .. arguments]);

    private static Dictionary<string, string> CliEnvironment(LocalPackageFeed feed) => new() { ["NUGET_PACKAGES"] = feed.PackagesFolder };
}
