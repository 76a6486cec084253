using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceWatch;

/// <summary>Runs the host and turns its end into an exit code: 0 clean stop, 70 a worker crashed, 78 start failed.</summary>
public static partial class DaemonRunner
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
        }
        catch (Exception ex)
        {
            // resolving the services validates the options and loads the models
            code = await StartFailedAsync(host, ex).ConfigureAwait(false);
            Environment.ExitCode = code;
            return code;
        }

        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception startFailure)
        {
            // A service that fails to start after others run (the publisher connecting, the pipeline's threads): stop
            // them before the caller disposes the host, or they touch disposed sessions. What they do while being
            // stopped does not change the verdict: the exit code is the start failure's, every time.
            try
            {
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await host.StopAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // already reported by the service that failed; the start failure is what the user must fix
            }

            code = startFailure is OperationCanceledException && cancellationToken.IsCancellationRequested
                ? 0 // stopped (Ctrl+C, SIGTERM) while starting
                : await StartFailedAsync(host, startFailure).ConfigureAwait(false);
            Environment.ExitCode = code;
            return code;
        }

        try
        {
            await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            code = Crashed(workers) ? CrashedExitCode : 0;
        }
        catch (Exception ex) when (Crashed(workers))
        {
            // The host may rethrow a worker's exception on stop; it was logged (critical) where it happened.
            await Console.Error.WriteLineAsync($"facewatch: stopped after a crash: {ex.Message}").ConfigureAwait(false);
            code = CrashedExitCode;
        }

        Environment.ExitCode = code;
        return code;
    }

    /// <summary>
    /// The exit code of a failed start, from the failure alone: 78 for what the user must fix (a setting, a file, the
    /// gallery), 70 for anything else (a defect: the service manager may restart it).
    /// </summary>
    private static async Task<int> StartFailedAsync(IHost host, Exception ex)
    {
        switch (ex)
        {
            case OptionsValidationException invalid:
                await Console.Error.WriteLineAsync($"facewatch: invalid configuration: {string.Join("; ", invalid.Failures)}").ConfigureAwait(false);
                return StartFailedExitCode;
            case IOException or InvalidOperationException or InvalidDataException or UnauthorizedAccessException
                or FormatException or Pipeline.Identification.GalleryModelMismatchException:
                await Console.Error.WriteLineAsync($"facewatch: could not start: {ex.Message}").ConfigureAwait(false);
                return StartFailedExitCode;
            case AggregateException { InnerExceptions.Count: > 0 } aggregate:
                return await StartFailedAsync(host, aggregate.InnerExceptions[0]).ConfigureAwait(false);
            default:
                // The user reads what went wrong; the exception's type and stack are for a bug report (debug log).
                LogUnexpectedStartFailure(host, ex);
                await Console.Error.WriteLineAsync($"facewatch: could not start: {ex.Message}").ConfigureAwait(false);
                return CrashedExitCode;
        }
    }

    private static void LogUnexpectedStartFailure(IHost host, Exception ex)
    {
        try
        {
            if (host.Services.GetService<ILoggerFactory>() is { } loggers)
            {
                UnexpectedStartFailure(loggers.CreateLogger("FaceWatch.Hosting.DaemonRunner"), ex.GetType().FullName ?? ex.GetType().Name, ex);
            }
        }
        catch (Exception)
        {
            // the host that failed may not even give a logger; the message on stderr is what counts
        }
    }

    [LoggerMessage(501, LogLevel.Debug, "Unexpected start failure ({ExceptionType})")]
    private static partial void UnexpectedStartFailure(ILogger logger, string exceptionType, Exception exception);

    private static bool Crashed(BackgroundService[] workers) => workers.Any(s => s.ExecuteTask is { IsFaulted: true });
}
