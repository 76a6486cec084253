using FaceWatch.Pipeline.Workers;
using Microsoft.Extensions.Hosting;

using FaceWatch.Core.Health;
namespace FaceWatch.Hosting;

/// <summary>
/// Reports each camera's frame queue as <c>facewatch.queue.depth{queue="frames:&lt;camera&gt;"}</c>, and the faces
/// the crop queue dropped as <c>facewatch.crops.dropped</c>.
/// </summary>
internal sealed class PipelineQueueMetrics(FaceWatchPipeline pipeline, FaceWatchMetrics metrics) : IHostedService
{
    private readonly List<string> _registered = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var camera in pipeline.Cameras)
        {
            var name = "frames:" + camera.Options.Name;
            var queue = camera.Frames;
            metrics.RegisterQueue(name, () => queue.Count);
            _registered.Add(name);
        }

        metrics.ObserveCropsDropped(() => pipeline.CropsDropped);

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
