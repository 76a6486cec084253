using FaceWatch.Pipeline.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FaceWatch.Hosting;

/// <summary>
/// Reports each camera's frame queue as <c>facewatch.queue.depth{queue="frames:&lt;camera&gt;"}</c>.
/// Starts after <see cref="PipelineService"/> (registered later), whose start builds the pipeline.
/// </summary>
internal sealed class PipelineQueueMetrics(IServiceProvider services, FaceWatchMetrics metrics) : IHostedService
{
    private readonly List<string> _registered = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<PipelineService>()?.Pipeline is { } pipeline)
        {
            foreach (var camera in pipeline.Cameras)
            {
                var name = "frames:" + camera.Options.Name;
                var queue = camera.Frames;
                metrics.RegisterQueue(name, () => queue.Count);
                _registered.Add(name);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var name in _registered)
        {
            metrics.UnregisterQueue(name);
        }

        return Task.CompletedTask;
    }
}
