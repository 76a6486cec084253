using Polly;
using Polly.Retry;

namespace FaceWatch.Pipeline.Capture;

/// <summary>
/// The reconnect schedule of a camera: exponential backoff with jitter from <c>ReconnectBaseSeconds</c> doubling to
/// <c>ReconnectMaxSeconds</c>, forever, on any failure except shutdown. Time comes from the given <see cref="TimeProvider"/>.
/// </summary>
public static class ReconnectPolicy
{
    public static ResiliencePipeline Create(CaptureOptions options, TimeProvider time, Func<OnRetryArguments<object>, ValueTask>? onRetry = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(options.ReconnectBaseSeconds),
                MaxDelay = TimeSpan.FromSeconds(options.ReconnectMaxSeconds),
                OnRetry = onRetry,
            })
            .Build();
    }
}
