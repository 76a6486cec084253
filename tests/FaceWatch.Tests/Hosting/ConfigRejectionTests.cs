using FaceWatch.Tests.EndToEnd;

namespace FaceWatch.Tests.Hosting;

/// <summary>
/// Issue 12, weak spots: every rejected setting stops the real daemon with exit 78 and a line naming the key (never an
/// unhandled exception, exit 1, or a silently used default), camera names of any script are accepted.
/// </summary>
[Trait("Category", "Slow")]
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
    // an explicit empty value is refused, never replaced by the default (it once became 'facewatch' / 'homeassistant')
    [InlineData("""{"Mqtt":{"TopicPrefix":""}}""", "Mqtt:TopicPrefix must not be empty")]
    [InlineData("""{"Mqtt":{"Embedded":true,"TopicPrefix":""}}""", "Mqtt:TopicPrefix must not be empty")]
    [InlineData("""{"HomeAssistant":{"DiscoveryPrefix":""}}""", "HomeAssistant:DiscoveryPrefix '' is not a valid topic prefix")]
    [InlineData("""{"Capture":{"Ffmpeg":""}}""", "Capture:Ffmpeg: The Ffmpeg field is required")]
    [InlineData("""{"Mqtt":{"Port":""}}""", "Mqtt:Port: empty; expected a whole number")]
    [InlineData("""{"Cameras":[{"Name":"a","Source":"rtsp://cam/x","RtspTransport":""}]}""", "Cameras:0:RtspTransport: RtspTransport must not be empty")]
    // a value of the wrong type: the key, the value and what is expected in words, no .NET type names
    [InlineData("""{"Cameras":[{"Name":"a","Source":"CLIP","DetectFps":"fast"}]}""", "Cameras:0:DetectFps: 'fast' is not a number")]
    [InlineData("""{"Cameras":[{"Name":"a","Source":"CLIP","Enabled":"maybe","Width":{"a":1}}]}""", "Cameras:0:Enabled: 'maybe' is not true or false; Cameras:0:Width: expected a whole number, not a section or list")]
    [InlineData("""{"Cameras":[{"Name":"a","Source":"CLIP","InputArgs":"-re"}]}""", "Cameras:0:InputArgs: '-re' is not a list; expected a list (JSON array) of texts")]
    [InlineData("""{"Mqtt":{"Port":"x"}}""", "Mqtt:Port: 'x' is not a whole number")]
    [InlineData("""{"Mqtt":{"Port":99999999999}}""", "Mqtt:Port: '99999999999' is out of range; expected a whole number from")]
    [InlineData("""{"Mqtt":{"Enabled":"maybe"}}""", "Mqtt:Enabled: 'maybe' is not true or false")]
    [InlineData("""{"Mqtt":{"Embedded":"maybe"}}""", "Mqtt:Embedded must be true, false or a section")]
    [InlineData("""{"Mqtt":{"Tls":5}}""", "Mqtt:Tls: '5' is not a section")]
    [InlineData("""{"Mqtt":{"Hots":"x"}}""", "Mqtt:Hots: unknown setting")]
    [InlineData("""{"Mqtt":{"Port":99999}}""", "Mqtt:Port must be between 1 and 65535 (got 99999)")]
    [InlineData("""{"HomeAssistant":{"Discovery":"yes"}}""", "HomeAssistant:Discovery: 'yes' is not true or false")]
    [InlineData("""{"Web":{"Enabled":"maybe"}}""", "Web:Enabled: 'maybe' is not true or false")]
    [InlineData("""{"Web":{"Enabled":true,"Port":"x"}}""", "Web:Port: unknown setting")]
    [InlineData("""{"Capture":{"ReconnectBaseSeconds":"soon"}}""", "Capture:ReconnectBaseSeconds: 'soon' is not a number")]
    [InlineData("""{"Capture":{"FrameQueueCapacity":100}}""", "Capture:FrameQueueCapacity must be between 1 and 16 (got 100)")]
    [InlineData("""{"Capture":5}""", "Capture: '5' is not a section")]
    [InlineData("""{"Snapshots":{"Enabled":"on"}}""", "Snapshots:Enabled: 'on' is not true or false")]
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
            AssertNoTypeNames(output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("FACEWATCH_Mqtt__TopicPrefix", "Mqtt:TopicPrefix must not be empty")]
    [InlineData("FACEWATCH_HomeAssistant__DiscoveryPrefix", "HomeAssistant:DiscoveryPrefix '' is not a valid topic prefix")]
    [InlineData("FACEWATCH_Mqtt__KeepAliveSeconds", "Mqtt:KeepAliveSeconds: empty; expected a whole number")]
    public async Task An_empty_environment_variable_is_refused_not_replaced_by_the_default(string variable, string expected)
    {
        var (code, output) = await StartupExitCodeTests.RunDaemonAsync(new Dictionary<string, string>
        {
            ["FACEWATCH_Mqtt__Embedded__Enabled"] = "true",
            ["FACEWATCH_Mqtt__Embedded__Port"] = Infrastructure.MosquittoBroker.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            [variable] = "",
        });
        Assert.True(code == 78, $"exit {code}:\n{output}");
        Assert.True(output.Contains(expected, StringComparison.Ordinal), output);
        AssertNoTypeNames(output);
    }

    /// <summary>The line the user reads names keys and values, never .NET types or exception classes.</summary>
    private static void AssertNoTypeNames(string output)
    {
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("facewatch:", StringComparison.Ordinal)) ?? "";
        Assert.DoesNotMatch(@"System\.|FaceWatch\.|Int32|Int64|Double|Boolean|TimeSpan|Options'|OptionsValidationException|DataAnnotation|Exception", line);
    }

    [Theory]
    [InlineData("Tür")]
    [InlineData("café")]
    [InlineData("front door")]
    [InlineData("东门")]
    public void Camera_names_of_any_script_are_accepted(string name)
    {
        var camera = new FaceWatch.Pipeline.Capture.CameraOptions { Name = name, Source = "0" };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        Assert.True(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(camera, new(camera), results, validateAllProperties: true), string.Join("; ", results.Select(r => r.ErrorMessage)));
    }
}
