namespace FaceWatch.Tests.Mqtt;

/// <summary>
/// Issue 12, weak spots: every rejected setting stops the real daemon with exit 78 and a line naming the key (never an
/// unhandled exception, exit 1, or a silently used default), camera names of any script are accepted.
/// </summary>
public class ConfigRejectionTests
{
    [Theory]
    [InlineData("""{"Mqtt":{"TopicPrefix":"$SYS"}}""", "Mqtt:TopicPrefix '$SYS' is not a valid topic prefix")]
    [InlineData("""{"Logging":{"LogLevl":{"Default":"Debug"}}}""", "Logging:LogLevl: unknown setting")]
    [InlineData("""{"Logging":{"LogLevel":{"Default":"Verbose"}}}""", "Logging:LogLevel:Default: 'Verbose' is not a log level")]
    [InlineData("""{"Mqtt":{"Embedded":{"Enabled":true,"BindAddress":"0.0.0.0"}}}""", "Mqtt:Embedded:Username and Mqtt:Embedded:Password are required")]
    [InlineData("""{"Mqtt":{"Embedded":{"Enabled":true,"BindAddress":"127.1"}}}""", "Mqtt:Embedded:BindAddress '127.1' is not an IP address")]
    [InlineData("""{"Mqtt":{"Embedded":{"Enabled":true,"BindAddress":"fe80::1%999"}}}""", "Mqtt:Embedded:BindAddress 'fe80::1%999' is not an IP address")]
    [InlineData("""{"Cameras":[{"Name":"Tür","Source":"CLIP"},{"Name":"Tur","Source":"CLIP"}]}""", "Cameras:1:Name: camera name 'Tur' gives the Home Assistant id 'Tur', as Cameras:0 does")]
    [InlineData("""{"Cameras":[{"Name":"front door","Source":"CLIP"},{"Name":"front_door","Source":"CLIP"}]}""", "Cameras:1:Name: camera name 'front_door' gives the MQTT topic level 'front_door'")]
    [InlineData("""{"Cameras":[{"Name":"a/b","Source":"CLIP"}]}""", "Cameras:0:Name: Name may only hold letters (of any script)")]
    [InlineData("{\n  \"Mqtt\": {\n    \"Port\": 1883,,\n  }\n}", "is not valid JSON at line 3, column")]
    public async Task A_rejected_setting_exits_78_naming_the_key(string json, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-config-").FullName;
        try
        {
            var clip = Path.Combine(TestPaths.RepoRoot, "demo", "short_hamilton_clip.mp4").Replace("\\", "\\\\", StringComparison.Ordinal);
            var file = Path.Combine(dir, "facewatch.json");
            await File.WriteAllTextAsync(file, json.Replace("CLIP", clip, StringComparison.Ordinal));
            var (code, output) = await StartupExitCodeTests.RunDaemonAsync(new Dictionary<string, string>
            {
                ["FACEWATCH_Mqtt__Embedded__Port"] = Infrastructure.MosquittoBroker.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, camera: !json.Contains("Cameras", StringComparison.Ordinal), "--config", file);
            Assert.True(code == 78, $"exit {code}:\n{output}");
            Assert.True(output.Contains(expected, StringComparison.Ordinal), output);
            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
            Assert.DoesNotContain("System.", output.Split('\n').Where(l => l.StartsWith("facewatch:", StringComparison.Ordinal)).FirstOrDefault() ?? "", StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("Tür")]
    [InlineData("café")]
    [InlineData("front door")]
    [InlineData("东门")]
    public void Camera_names_of_any_script_are_accepted(string name)
    {
        var camera = new Pipeline.Capture.CameraOptions { Name = name, Source = "0" };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        Assert.True(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(camera, new(camera), results, validateAllProperties: true), string.Join("; ", results.Select(r => r.ErrorMessage)));
    }
}
