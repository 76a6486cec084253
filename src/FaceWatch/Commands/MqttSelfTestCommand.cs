using System.CommandLine;
using System.Text.Json;
using FaceWatch.Configuration;
using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using FaceWatch.Core.Health;
using FaceWatch.Hosting.Mqtt;
using FaceWatch.Pipeline.Identity;
namespace FaceWatch.Commands;

/// <summary>
/// Hidden verb for the MQTT tests and for trying a broker setup by hand: runs only the MQTT publisher
/// (and the embedded broker when enabled) with the usual config, and publishes what arrives on stdin:
/// a JSON identity event per line, or <c>camera online|offline NAME</c>. EOF or <c>quit</c> stops cleanly.
/// Prints <c>ready</c> on stdout once the services are started; logs go to stderr.
/// </summary>
internal static class MqttSelfTestCommand
{
    public static Command Create()
    {
        var command = new Command("mqtt-selftest", "Run only the MQTT publisher and publish events read from stdin (for tests).")
        {
            Hidden = true,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            var configuration = FaceWatchConfiguration.Build(parseResult.GetValue(CommonOptions.Config));
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Configuration.AddConfiguration(configuration);
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Services.AddFaceWatchMqtt(builder.Configuration);

            using var host = builder.Build();
            await host.StartAsync(ct).ConfigureAwait(false);
            var hub = host.Services.GetRequiredService<IdentityEventHub>();
            var health = host.Services.GetRequiredService<CameraHealthRegistry>();
            await Console.Out.WriteLineAsync("ready").ConfigureAwait(false);
            await Console.Out.FlushAsync(ct).ConfigureAwait(false);

            while (await Console.In.ReadLineAsync(ct).ConfigureAwait(false) is { } line && line.Trim() != "quit")
            {
                if (line.StartsWith('{'))
                {
                    var identityEvent = JsonSerializer.Deserialize(line, IdentityEventJsonContext.Default.IdentityEvent)
                        ?? throw new InvalidDataException("stdin: 'null' is not an identity event.");
                    await hub.PublishAsync(identityEvent, ct).ConfigureAwait(false);
                }
                else if (line.Split(' ', 3) is ["camera", var state and ("online" or "offline"), var camera])
                {
                    health.Report(new CameraHealth(camera, state == "online", 0, 0, 0, 0, null, TimeProvider.System.GetUtcNow()));
                }
                else if (line.Length > 0)
                {
                    await Console.Error.WriteLineAsync($"stdin: cannot read '{line}': expected a JSON event or 'camera online|offline NAME'.").ConfigureAwait(false);
                }
            }

            hub.Complete();
            await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
