using FaceWatch.Tests.Infrastructure;

namespace FaceWatch.Tests.Hosting;

/// <summary>
/// Only a config without any <c>Cameras</c> key plays the demo: a <c>Cameras</c> that is not a list of cameras stops the
/// real executable with exit code 78 and a line naming the key (before: the demo clip played, publishing demo events).
/// </summary>
[Trait("Category", "Slow")]
public sealed class CamerasConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-cameras-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("\"front_door\"", "got the single value 'front_door'")]
    [InlineData("5", "got the single value '5'")]
    [InlineData("null", "got null or an empty list")]
    [InlineData("[]", "got null or an empty list")]
    [InlineData("{}", "got null or an empty list")]
    [InlineData("[\"door\"]", "Cameras:0: expected a camera")]
    [InlineData("{\"door\": {\"Name\": \"door\", \"Source\": \"0\"}}", "Cameras:door: expected a list")]
    public async Task A_cameras_value_that_is_not_a_list_of_cameras_exits_78_naming_the_key(string value, string expected)
    {
        var config = Path.Combine(_dir, "facewatch.json");
        await File.WriteAllTextAsync(config, $"{{ \"Mqtt\": {{ \"Enabled\": false }}, \"Cameras\": {value} }}");

        var run = await Cli.RunAsync(_dir, null, TimeSpan.FromSeconds(90), "run", "--config", config);

        Assert.True(run.ExitCode == 78, run.ToString());
        Assert.Contains(expected, run.Stderr + run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("demo", run.Stdout.Replace("to play the demo", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Cameras_from_the_environment_as_a_single_value_exits_78_naming_the_key()
    {
        var env = new Dictionary<string, string> { ["FACEWATCH_Cameras"] = "door", ["FACEWATCH_Mqtt__Enabled"] = "false" };

        var run = await Cli.RunAsync(_dir, env, TimeSpan.FromSeconds(90), "run");

        Assert.True(run.ExitCode == 78, run.ToString());
        Assert.Contains("Cameras: expected a list (JSON array) of cameras, got the single value 'door'", run.Stderr + run.Stdout, StringComparison.Ordinal);
    }
}
