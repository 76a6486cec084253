using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FaceWatch.Hosting;

/// <summary>Runs the host and turns its end into an exit code: 0 clean stop, 70 a worker crashed, 78 start failed.</summary>
public static class DaemonRunner
{
    public const int CrashedExitCode = 70; // EX_SOFTWARE: systemd Restart=on-failure restarts
    public const int StartFailedExitCode = 78; // EX_CONFIG: fix the configuration first

    public static async Task<int> RunAsync(IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        int code;
        BackgroundService[] workers = [];
        try
        {
            workers = [.. host.Services.GetServices<IHostedService>().OfType<BackgroundService>()];
            try
            {
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // A service that fails to start after the pipeline's threads are running: stop those threads before
                // the caller disposes the host, or they touch disposed sessions.
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await host.StopAsync(stopping.Token).ConfigureAwait(false);
                throw;
            }

            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            code = Crashed(workers) ? CrashedExitCode : 0;
        }
        catch (Exception ex) when (Crashed(workers))
        {
            // The host may rethrow a worker's exception on stop; it was logged (critical) where it happened.
            await Console.Error.WriteLineAsync($"facewatch: stopped after a crash: {ex.Message}").ConfigureAwait(false);
            code = CrashedExitCode;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync($"facewatch: invalid configuration: {string.Join("; ", ex.Failures)}").ConfigureAwait(false);
            code = StartFailedExitCode;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or InvalidDataException or UnauthorizedAccessException
            or Pipeline.Identification.GalleryModelMismatchException)
        {
            await Console.Error.WriteLineAsync($"facewatch: could not start: {ex.Message}").ConfigureAwait(false);
            code = StartFailedExitCode;
        }

        Environment.ExitCode = code;
        return code;
    }

    private static bool Crashed(BackgroundService[] workers) => workers.Any(s => s.ExecuteTask is { IsFaulted: true });
}
