using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FaceWatch.Pipeline.Publishing;
using FaceWatch.Tests.Infrastructure;

namespace FaceWatch.Tests.Mqtt;

/// <summary>The real executable in its own process (hidden verb <c>mqtt-selftest</c>): last will on kill -9, offline on a clean stop.</summary>
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
            await daemon.StandardInput.WriteLineAsync(JsonSerializer.Serialize(e, MqttJsonContext.Default.IdentityEvent));
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
        await daemon.StandardInput.WriteLineAsync(JsonSerializer.Serialize(TestEvents.Make(IdentityEventKind.Arrived, "garden", 1, "Bob"), MqttJsonContext.Default.IdentityEvent));
        daemon.StandardInput.Close(); // EOF: the verb stops its host cleanly, flushing the outbox first
        using var timeout = new CancellationTokenSource(Wait);
        await daemon.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, daemon.ExitCode);
        await sub.WaitForAsync(prefix + "/status", m => m.Text == "offline", Wait);
        Assert.Single(sub.On(prefix + "/garden/events"));
        Assert.Contains("online", sub.On(prefix + "/garden/status").Select(m => m.Text));
        Assert.Contains("disconnected cleanly", stderr.ToString(), StringComparison.Ordinal);
    }

    private Process StartDaemon(string prefix, out StringBuilder stderr)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "facewatch.dll"), "mqtt-selftest"])
        {
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
        var process = Process.Start(psi)!;
        var log = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        stderr = log;
        return process;
    }
}
