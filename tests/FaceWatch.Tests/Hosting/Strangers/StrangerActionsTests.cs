using FaceWatch.Hosting.Strangers;
using FaceWatch.Pipeline.Embedding;
using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Workers;
using FaceWatch.Tests.Pipeline.Identification;
using Microsoft.Extensions.Logging.Abstractions;

namespace FaceWatch.Tests.Hosting.Strangers;

/// <summary><see cref="StrangerActions"/> with a fake stranger book and a real gallery file changed through a real <see cref="GalleryWatcher"/>.</summary>
public sealed class StrangerActionsTests : IDisposable
{
    private static readonly EmbeddingModelIdentity Model = new(new string('a', 64), "test.onnx", 112, 16);
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xD9];

    private readonly string _dir = Directory.CreateTempSubdirectory("facewatch-strangers-").FullName;
    private readonly List<float[]>[] _faces;
    private readonly string _path;
    private readonly GalleryWatcher _watcher;
    private readonly FakeStrangerBook _book = new();
    private readonly StrangerActions _actions;

    public StrangerActionsTests()
    {
        // Four people, 14 faces each: p0 and p1 are enrolled with their first 6, the rest are what cameras saw later.
        var (x, y) = SvmClassifierTests.Clusters(4, 14, 16, 0.5, 7);
        _faces = [.. Enumerable.Range(0, 4).Select(c => x.Where((_, i) => y[i] == c).ToList())];
        _path = Path.Combine(_dir, "gallery.json");
        var people = Enumerable.Range(0, 2).Select(c => new EnrolledPerson($"p{c}", [.. _faces[c].Take(6).Select((v, i) => new EnrolledFace($"p{c}/{i}.jpg", v))]));
        GalleryStore.Save(Gallery.Create(Model, people, Now), _path);
        _watcher = new GalleryWatcher(_path, Model, TimeProvider.System, NullLogger.Instance);
        _watcher.Load();
        _actions = new StrangerActions(_book, _watcher, new FixedTime(Now));
    }

    public void Dispose()
    {
        _actions.Dispose();
        _watcher.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Naming_a_group_as_a_new_person_enrolls_its_best_faces_live_and_forgets_the_group()
    {
        _book.Add("s1", [.. _faces[2].Skip(2)], Jpeg); // 12 faces, best first

        var done = await _actions.NameAsync("s1", "carol", CancellationToken.None);

        Assert.Equal(new StrangerActionResult("s1", "carol", StrangerActions.MaxFacesPerName, NewPerson: true), done);
        var saved = GalleryStore.Load(_path, Model);
        var carol = saved.People.Single(p => p.Name == "carol");
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"stranger:s1/{i}"), carol.Faces.Select(f => f.Source));
        Assert.Equal(_faces[2][2], carol.Faces[0].Embedding);
        Assert.NotNull(saved.Classifier); // retrained over three people
        Assert.Contains("carol", _watcher.Names!); // live at once, not at the next poll
        Assert.Equal("carol", _watcher.Identify(_faces[2][0]).Name);
        Assert.Equal(["s1"], _book.Forgotten);
    }

    [Fact]
    public async Task Naming_a_group_as_the_enrolled_person_it_looks_like_adds_to_their_faces()
    {
        _book.Add("s0", [.. _faces[0].Skip(6)], Jpeg);

        var done = await _actions.NameAsync("s0", "p0", CancellationToken.None);

        Assert.False(done.NewPerson);
        var p0 = GalleryStore.Load(_path, Model).People.Single(p => p.Name == "p0");
        Assert.Equal(6 + 8, p0.Faces.Count);
        Assert.Equal(6, p0.Faces.Count(f => f.Source.StartsWith("p0/", StringComparison.Ordinal)));
        Assert.Null(_book.Find("s0"));
    }

    [Fact]
    public async Task Naming_a_group_as_someone_it_does_not_look_like_is_refused_and_leaves_the_gallery_file_byte_identical()
    {
        _book.Add("s2", [.. _faces[2].Take(8)], Jpeg);
        var before = await File.ReadAllBytesAsync(_path);

        var e = await Assert.ThrowsAsync<StrangerActionException>(() => _actions.NameAsync("s2", "p0", CancellationToken.None));

        Assert.Equal(StrangerActionError.Refused, e.Error);
        Assert.Contains("'s2'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'p0'", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(_path));
        Assert.NotNull(_book.Find("s2")); // kept for another decision
        Assert.Empty(_book.Forgotten);
    }

    [Fact]
    public async Task A_group_nearer_another_enrolled_person_is_refused_naming_that_person()
    {
        _book.Add("s1", [.. _faces[1].Skip(6)], Jpeg);

        var e = await Assert.ThrowsAsync<StrangerActionException>(() => _actions.NameAsync("s1", "p0", CancellationToken.None));

        Assert.Equal(StrangerActionError.Refused, e.Error);
        Assert.Contains("looks more like 'p1'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_face_unlike_the_rest_of_its_group_is_left_out_when_naming()
    {
        var odd = _faces[2][0].Select(v => -v).ToArray(); // someone else entirely
        _book.Add("s3", [.. _faces[2].Take(4), odd], Jpeg);

        var done = await _actions.NameAsync("s3", "carol", CancellationToken.None);

        Assert.Equal(4, done.Faces);
        Assert.DoesNotContain(GalleryStore.Load(_path, Model).People.Single(p => p.Name == "carol").Faces, f => f.Source == "stranger:s3/4");
    }

    [Fact]
    public async Task Ignoring_a_group_keeps_its_faces_as_negatives_without_a_person_and_forgets_it()
    {
        _book.Add("s4", [.. _faces[3].Take(5)], Jpeg);

        var done = await _actions.IgnoreAsync("s4", CancellationToken.None);

        Assert.Equal(5, done.Faces);
        var saved = GalleryStore.Load(_path, Model);
        Assert.Equal(5, saved.Negatives.Count);
        Assert.All(saved.Negatives, n => Assert.Equal((null, "stranger:s4"), (n.Person, n.Source)));
        Assert.Equal(_faces[3][0], saved.Negatives[0].Embedding);
        Assert.Equal(["p0", "p1"], saved.People.Select(p => p.Name)); // nobody enrolled
        Assert.Equal(["s4"], _book.Forgotten);
    }

    [Fact]
    public async Task Forgetting_deletes_the_group_and_leaves_the_gallery_alone()
    {
        _book.Add("s5", [.. _faces[3].Take(2)], Jpeg);
        var before = await File.ReadAllBytesAsync(_path);

        await _actions.ForgetAsync("s5", CancellationToken.None);

        Assert.Null(_book.Find("s5"));
        Assert.Equal(before, await File.ReadAllBytesAsync(_path));
    }

    [Fact]
    public async Task An_unknown_or_malformed_id_is_refused_naming_it()
    {
        var unknown = await Assert.ThrowsAsync<StrangerActionException>(() => _actions.NameAsync("nobody-here", "carol", CancellationToken.None));
        Assert.Equal(StrangerActionError.UnknownGroup, unknown.Error);
        Assert.Contains("'nobody-here'", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(StrangerActionError.UnknownGroup, (await Assert.ThrowsAsync<StrangerActionException>(() => _actions.ForgetAsync("gone", CancellationToken.None))).Error);

        foreach (var bad in new[] { "../gallery", "a b", "", new string('x', 65), ".hidden", "s1\n" })
        {
            var e = await Assert.ThrowsAsync<StrangerActionException>(() => _actions.IgnoreAsync(bad, CancellationToken.None));
            Assert.Equal(StrangerActionError.BadId, e.Error);
        }
    }

    [Theory]
    [InlineData("unknown")]
    [InlineData("Ignored")]
    [InlineData("")]
    [InlineData(" carol")]
    [InlineData("a/b")]
    [InlineData("line\nbreak")]
    public async Task Reserved_and_invalid_names_are_refused_and_nothing_changes(string name)
    {
        _book.Add("s6", [.. _faces[2].Take(3)], Jpeg);
        var before = await File.ReadAllBytesAsync(_path);

        var e = await Assert.ThrowsAsync<StrangerActionException>(() => _actions.NameAsync("s6", name, CancellationToken.None));

        Assert.Equal(StrangerActionError.BadName, e.Error);
        Assert.StartsWith("Person name '", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(_path));
        Assert.NotNull(_book.Find("s6"));
    }

    [Fact]
    public async Task Disabled_strangers_and_the_demo_gallery_are_refused_with_what_to_set()
    {
        using var off = new StrangerActions(new FakeStrangerBook(enabled: false), _watcher, TimeProvider.System);
        Assert.Contains("Strangers:Enabled", (await Assert.ThrowsAsync<StrangerActionException>(() => off.IgnoreAsync("s1", CancellationToken.None))).Message, StringComparison.Ordinal);
        using var none = new StrangerActions(null, _watcher, TimeProvider.System);
        Assert.Equal(StrangerActionError.Disabled, (await Assert.ThrowsAsync<StrangerActionException>(() => none.ForgetAsync("s1", CancellationToken.None))).Error);
        Assert.Empty(none.Groups());

        using var demo = new GalleryWatcher(null, Model, TimeProvider.System, NullLogger.Instance);
        demo.Load();
        var book = new FakeStrangerBook();
        book.Add("s7", [.. _faces[2].Take(3)], Jpeg);
        using var onDemo = new StrangerActions(book, demo, TimeProvider.System);
        var e = await Assert.ThrowsAsync<StrangerActionException>(() => onDemo.NameAsync("s7", "carol", CancellationToken.None));
        Assert.Equal(StrangerActionError.NoGallery, e.Error);
        Assert.Contains("Gallery:Path", e.Message, StringComparison.Ordinal);
        Assert.NotNull(book.Find("s7"));
    }

    [Fact]
    public async Task Embeddings_of_another_model_are_refused_and_the_file_is_untouched()
    {
        _book.Add("s8", [[.. _faces[2][0], .. _faces[2][1]]], Jpeg); // 32 values, the gallery's model makes 16
        var before = await File.ReadAllBytesAsync(_path);

        var e = await Assert.ThrowsAsync<StrangerActionException>(() => _actions.IgnoreAsync("s8", CancellationToken.None));

        Assert.Equal(StrangerActionError.Refused, e.Error);
        Assert.Contains("32 values", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(_path));
    }

    [Fact]
    public async Task A_store_that_cannot_forget_says_the_group_was_named_but_is_still_remembered()
    {
        _book.Add("s10", [.. _faces[2].Take(3)], Jpeg);
        _book.FailForget = true;

        var e = await Assert.ThrowsAsync<StrangerActionException>(() => _actions.NameAsync("s10", "carol", CancellationToken.None));

        Assert.Equal(StrangerActionError.StoreFailed, e.Error);
        Assert.Contains("Stranger group 's10' was named 'carol' (3 faces enrolled), but is still remembered", e.Message, StringComparison.Ordinal);
        Assert.Contains("facewatch strangers forget s10", e.Message, StringComparison.Ordinal);
        Assert.Equal(3, GalleryStore.Load(_path, Model).People.Single(p => p.Name == "carol").Faces.Count);
        Assert.Equal(StrangerActionError.StoreFailed, (await Assert.ThrowsAsync<StrangerActionException>(() => _actions.ForgetAsync("s10", CancellationToken.None))).Error);
    }

    [Fact]
    public async Task Two_names_of_one_group_at_once_enroll_it_once()
    {
        _book.Add("s9", [.. _faces[2].Take(6)], Jpeg);

        var results = await Task.WhenAll(
            Attempt(() => _actions.NameAsync("s9", "carol", CancellationToken.None)),
            Attempt(() => _actions.NameAsync("s9", "carol", CancellationToken.None)));

        Assert.Single(results, r => r is null);
        Assert.Single(results, r => r == StrangerActionError.UnknownGroup);
        Assert.Equal(6, GalleryStore.Load(_path, Model).People.Single(p => p.Name == "carol").Faces.Count);
    }

    private static async Task<StrangerActionError?> Attempt(Func<Task<StrangerActionResult>> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (StrangerActionException e)
        {
            return e.Error;
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
