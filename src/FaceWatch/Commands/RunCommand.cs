using System.CommandLine;
using FaceWatch.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Configuration;
using FaceWatch.Configuration;
namespace FaceWatch.Commands;

internal static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run", "Run the daemon: watch the configured cameras (or the built-in demo) and publish identity events.");
        var show = new Option<bool>("--show") { Description = "Open one overlay window per camera with boxes and names (same as Debug:Windows=true)." };
        command.Options.Add(show);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var configFile = parseResult.GetValue(CommonOptions.Config);
            HostApplicationBuilder builder;
            try
            {
                var configuration = FaceWatchConfiguration.Build(configFile);
                if (parseResult.GetValue(show))
                {
                    configuration["Debug:Windows"] = "true";
                }

                builder = DaemonHost.CreateBuilder(configuration);

                // The logging library reads Logging while the host is built and throws (exit 1) on a bad level.
                var loggingProblems = StrictBinder.LoggingProblems(builder.Configuration).ToList();
                if (loggingProblems.Count > 0)
                {
                    await Console.Error.WriteLineAsync($"facewatch: invalid configuration: {string.Join("; ", loggingProblems)}").ConfigureAwait(false);
                    return DaemonRunner.StartFailedExitCode;
                }
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or FormatException)
            {
                await Console.Error.WriteLineAsync($"facewatch: invalid configuration: {ex.Message}").ConfigureAwait(false);
                return DaemonRunner.StartFailedExitCode;
            }

            using var host = builder.Build();
            return await DaemonRunner.RunAsync(host, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
