using FaceWatch.Hosting.LiveView;
using FaceWatch.Hosting.Strangers;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Workers;
using FaceWatch.Tests.Hosting.Strangers;
using FaceWatch.Tests.Pipeline.Identification;
using FaceWatch.Web;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceWatch.Tests.Web;

/// <summary>
/// The daemon's web host (<see cref="LiveViewHosting.AddFaceWatchLiveView"/>, <see cref="WebHosting.AddFaceWatchWeb"/>)
/// with the review's real parts (a gallery file behind a real <see cref="GalleryWatcher"/>, <see cref="StrangerActions"/>)
/// and a fake stranger book holding two groups whose crops are a real photo: <c>g-alan</c> (p2's faces, a new person)
/// and <c>g-p0</c> (more faces of the enrolled p0).
/// </summary>
internal sealed class StrangerWebHost : IAsyncDisposable
{
    public static readonly EmbeddingModelIdentity Model = new(new string('b', 64), "test.onnx", 112, 16);

    private readonly string _dir;

    private StrangerWebHost(IHost host, string dir, FakeStrangerBook book, string galleryPath, byte[] jpeg, IReadOnlyList<List<float[]>> faces)
    {
        Host = host;
        _dir = dir;
        Book = book;
        GalleryPath = galleryPath;
        Jpeg = jpeg;
        Faces = faces;
    }

    public IHost Host { get; }

    public FakeStrangerBook Book { get; }

    public string GalleryPath { get; }

    public byte[] Jpeg { get; }

    /// <summary>Faces of four synthetic people (p0 and p1 enrolled with their first 6).</summary>
    public IReadOnlyList<List<float[]>> Faces { get; }

    public string BaseUrl => Host.Services.GetRequiredService<WebLiveViewServer>().BoundUrls[0];

    public Gallery Gallery => GalleryStore.Load(GalleryPath, Model);

    public static async Task<StrangerWebHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var dir = Directory.CreateTempSubdirectory("facewatch-strangers-web-").FullName;
        var (x, y) = SvmClassifierTests.Clusters(4, 14, 16, 0.5, 7);
        List<float[]>[] faces = [.. Enumerable.Range(0, 4).Select(c => x.Where((_, i) => y[i] == c).ToList())];
        var path = Path.Combine(dir, "gallery.json");
        GalleryStore.Save(Gallery.Create(Model, Enumerable.Range(0, 2).Select(c => new EnrolledPerson($"p{c}", [.. faces[c].Take(6).Select((v, i) => new EnrolledFace($"p{c}/{i}.jpg", v))])), DateTimeOffset.UtcNow), path);
        var jpeg = await File.ReadAllBytesAsync(TestPaths.Data("images", "obama_small.jpg"));
        var book = new FakeStrangerBook();
        book.Add("g-alan", [.. faces[2].Take(5)], jpeg, camera: "door", visits: 3);
        book.Add("g-p0", [.. faces[0].Skip(6).Take(4)], jpeg, camera: "garden", visits: 1);

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var config = new Dictionary<string, string?> { ["Web:Enabled"] = "true", ["Web:Urls"] = "http://127.0.0.1:0" };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddSingleton(_ =>
        {
            var watcher = new GalleryWatcher(path, Model, TimeProvider.System, NullLogger.Instance);
            watcher.Load();
            return watcher;
        });
        builder.Services.AddSingleton<IStrangerBook>(book);
        // As AddFaceWatchPipeline registers it.
        builder.Services.AddSingleton(sp => new StrangerActions(sp.GetService<IStrangerBook>(), sp.GetRequiredService<GalleryWatcher>(), TimeProvider.System));
        builder.Services.AddFaceWatchLiveView(builder.Configuration);
        builder.AddFaceWatchWeb();
        var host = builder.Build();
        await host.StartAsync();
        return new StrangerWebHost(host, dir, book, path, jpeg, faces);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
