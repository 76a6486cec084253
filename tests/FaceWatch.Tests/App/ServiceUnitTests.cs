using FaceWatch.Tests.Infrastructure;

namespace FaceWatch.Tests.App;

/// <summary>The systemd unit, checked by systemd itself.</summary>
public sealed class ServiceUnitTests
{
    private static readonly string Unit = Path.Combine(TestPaths.RepoRoot, "systemd", "facewatch.service");

    [Fact]
    public async Task Unit_passes_systemd_analyze_verify()
    {
        var analyze = ExternalTools.Require("systemd-analyze", "systemd");
        // verify also checks that ExecStart exists: point it at the executable this build made (the one install.sh publishes).
        var exe = Path.Combine(AppContext.BaseDirectory, "facewatch");
        Assert.True(File.Exists(exe), $"{exe} missing");
        var dir = Directory.CreateTempSubdirectory("facewatch-unit-");
        try
        {
            var text = await File.ReadAllTextAsync(Unit);
            Assert.Contains("ExecStart=/opt/facewatch/facewatch run --config /etc/facewatch/facewatch.json", text, StringComparison.Ordinal);
            var copy = Path.Combine(dir.FullName, "facewatch.service");
            await File.WriteAllTextAsync(copy, text.Replace("ExecStart=/opt/facewatch/facewatch ", $"ExecStart={exe} ", StringComparison.Ordinal));
            var (code, stdout, stderr) = await ExternalTools.RunAsync(analyze, ["verify", copy], TimeSpan.FromSeconds(60));
            Assert.True(code == 0 && stderr.Trim().Length == 0, $"systemd-analyze verify exited {code}: {stdout}{stderr}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Unit_runs_as_a_hardened_notify_service()
    {
        var lines = (await File.ReadAllLinesAsync(Unit)).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet();
        foreach (var expected in new[]
        {
            "Type=notify", "Restart=on-failure", "DynamicUser=yes", "StateDirectory=facewatch", "SupplementaryGroups=video",
            "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
            "Environment=FACEWATCH_Models__Dir=/opt/facewatch/models", "RestartPreventExitStatus=78",
        })
        {
            Assert.Contains(expected, lines);
        }
    }

    [Fact]
    public async Task Unit_fails_verify_when_broken_so_the_check_is_real()
    {
        var analyze = ExternalTools.Require("systemd-analyze", "systemd");
        var dir = Directory.CreateTempSubdirectory("facewatch-unit-");
        try
        {
            var copy = Path.Combine(dir.FullName, "facewatch.service");
            var text = await File.ReadAllTextAsync(Unit);
            await File.WriteAllTextAsync(copy, text.Replace("Type=notify", "Type=notifyy", StringComparison.Ordinal));
            var (_, stdout, stderr) = await ExternalTools.RunAsync(analyze, ["verify", copy], TimeSpan.FromSeconds(60));
            Assert.Contains("notifyy", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
