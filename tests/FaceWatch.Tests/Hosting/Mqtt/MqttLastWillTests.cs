using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;

using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Tests.Hosting.Mqtt;

/// <summary>The real executable in its own process (<c>facewatch run</c>, and the hidden verb <c>mqtt-selftest</c>): last will on kill -9, offline on a clean stop.</summary>
[Trait("Category", "Slow")]
public class MqttLastWillTests(MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Killing_the_process_with_sigkill_makes_the_broker_publish_offline()
    {
        var prefix = "k" + Guid.NewGuid().ToString("N")[..6];
        await using var sub = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, prefix + "/#");
        using var daemon = StartDaemon(prefix, out var stderr);
        try
        {
            await sub.WaitForAsync(prefix + "/status", m => m.Text == "online", Wait);
            var e = TestEvents.Make(IdentityEventKind.Arrived, "porch", 3, "Alice");
            await daemon.StandardInput.WriteLineAsync(JsonSerializer.Serialize(e, IdentityEventJsonContext.Default.IdentityEvent));
            await daemon.StandardInput.FlushAsync();
            await sub.WaitForAsync(prefix + "/porch/events", m => m.Text.Contains(e.EventId, StringComparison.Ordinal), Wait);

            var killedAt = DateTime.UtcNow;
            daemon.Kill(); // SIGKILL on Linux: no clean shutdown, no chance to publish anything
            await daemon.WaitForExitAsync();
            var will = await sub.WaitForAsync(prefix + "/status", m => m.Text == "offline", Wait);
            Assert.True(will.At >= killedAt);
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill();
            }
        }

        Assert.DoesNotContain("disconnected cleanly", stderr.ToString(), StringComparison.Ordinal);
        await using var late = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, prefix + "/status");
        var retained = await late.WaitForTopicAsync(prefix + "/status", Wait);
        Assert.Equal("offline", retained.Text);
        Assert.True(retained.Retain);
    }

    [Fact]
    public async Task A_clean_stop_of_the_process_publishes_offline_itself()
    {
        var prefix = "k" + Guid.NewGuid().ToString("N")[..6];
        await using var sub = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, prefix + "/#");
        using var daemon = StartDaemon(prefix, out var stderr);
        await sub.WaitForAsync(prefix + "/status", m => m.Text == "online", Wait);
        await daemon.StandardInput.WriteLineAsync("camera online garden");
        await daemon.StandardInput.WriteLineAsync(JsonSerializer.Serialize(TestEvents.Make(IdentityEventKind.Arrived, "garden", 1, "Bob"), IdentityEventJsonContext.Default.IdentityEvent));
        daemon.StandardInput.Close(); // EOF: the verb stops its host cleanly, flushing the outbox first
        using var timeout = new CancellationTokenSource(Wait);
        await daemon.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, daemon.ExitCode);
        await sub.WaitForAsync(prefix + "/status", m => m.Text == "offline", Wait);
        Assert.Single(sub.On(prefix + "/garden/events"));
        Assert.Contains("online", sub.On(prefix + "/garden/status").Select(m => m.Text));
        Assert.Contains("disconnected cleanly", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_facewatch_run_with_sigkill_makes_the_broker_publish_offline()
    {
        // The real daemon: one camera (the demo clip, detection slowed down to spare the CPU), our mosquitto.
        Assert.True(File.Exists(Path.Combine(TestPaths.ModelsDir, "models.json")), $"models missing in {TestPaths.ModelsDir}: run 'facewatch models fetch' (test.sh does)");
        var prefix = "r" + Guid.NewGuid().ToString("N")[..6];
        await using var sub = await MqttTestSubscriber.ConnectAsync(mosquitto.Port, prefix + "/#");
        using var daemon = StartDaemon(prefix, out var stderr, "run", new Dictionary<string, string>
        {
            ["FACEWATCH_Models__Dir"] = TestPaths.ModelsDir,
            ["FACEWATCH_Cameras__0__Name"] = "stage",
            ["FACEWATCH_Cameras__0__Source"] = Path.Combine(TestPaths.RepoRoot, "demo", "short_hamilton_clip.mp4"),
            ["FACEWATCH_Cameras__0__DetectFps"] = "0.5",
        });
        try
        {
            await sub.WaitForAsync(prefix + "/status", m => m.Text == "online", TimeSpan.FromSeconds(60));
            await sub.WaitForAsync(prefix + "/stage/status", m => m.Text == "online", TimeSpan.FromSeconds(30));
            var killedAt = DateTime.UtcNow;
            daemon.Kill();
            await daemon.WaitForExitAsync();
            var will = await sub.WaitForAsync(prefix + "/status", m => m.Text == "offline" && m.At >= killedAt, Wait);
            Assert.Equal("offline", will.Text);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(ex.Message + "\ndaemon log:\n" + stderr, ex);
        }
        finally
        {
            if (!daemon.HasExited)
            {
                daemon.Kill();
            }
        }
    }

    private Process StartDaemon(string prefix, out StringBuilder stderr, string verb = "mqtt-selftest", IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "facewatch.dll"), verb])
        {
            WorkingDirectory = TestPaths.RepoRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["FACEWATCH_Mqtt__Host"] = "127.0.0.1";
        psi.Environment["FACEWATCH_Mqtt__Port"] = mosquitto.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["FACEWATCH_Mqtt__TopicPrefix"] = prefix;
        psi.Environment["FACEWATCH_Mqtt__ClientId"] = "facewatch-" + prefix;
        psi.Environment["FACEWATCH_HomeAssistant__Discovery"] = "false";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var process = Process.Start(psi)!;
        var log = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data); // the daemon logs to stdout
            }
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        stderr = log;
        return process;
    }
}
