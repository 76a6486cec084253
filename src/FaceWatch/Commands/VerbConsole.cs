using FaceWatch.Pipeline.Identification;
using Microsoft.Extensions.Options;

using FaceWatch.Core.Imaging;
using FaceWatch.Core.Text;
namespace FaceWatch.Commands;

/// <summary>Console helpers of the face verbs: progress, warnings, and errors turned into one clear line.</summary>
internal static class VerbConsole
{
    /// <summary>One warning line; control characters in it (from file or person names) are escaped.</summary>
    public static void Warn(string message) => Console.Error.WriteLine($"warning: {Safe(message)}");

    /// <summary>Names and file names as they may be printed in text output: control characters escaped.</summary>
    public static string Safe(string? text) => TextEscape.Escape(text);

    /// <summary>Runs a verb body; expected failures (bad files, folders, galleries, settings) print one line and exit 1.</summary>
    public static int Run(string verb, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception ex) when (IsUserError(ex) || ex is OperationCanceledException)
        {
            return Report(verb, ex);
        }
    }

    // What a verb reports as one line (bad input, settings, files) rather than a stack trace; shared by Run and RunAsync.
    private static bool IsUserError(Exception ex) =>
        ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException
            or GalleryModelMismatchException or ImageLoadException or OptionsValidationException or KeyNotFoundException
            or InvalidOperationException or UnauthorizedAccessException or IOException;

    private static int Report(string verb, Exception ex)
    {
        if (ex is OperationCanceledException)
        {
            Console.Error.WriteLine($"facewatch {verb}: cancelled.");
            return 130;
        }

        Console.Error.WriteLine($"facewatch {verb}: {Safe(ex.Message)}");
        return 1;
    }

    /// <summary>As <see cref="Run"/>, for a verb body that awaits (a camera).</summary>
    public static async Task<int> RunAsync(string verb, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUserError(ex) || ex is OperationCanceledException)
        {
            return Report(verb, ex);
        }
    }

    /// <summary>A bar redrawn in place on a terminal; one plain line per item when stderr is redirected.</summary>
    public sealed class Progress(string verb) : IProgress<EnrollmentProgress>
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private int _lastWidth;

        public void Report(EnrollmentProgress value)
        {
            if (!_terminal)
            {
                Console.Error.WriteLine($"{verb}: {value.Done}/{value.Total} {Safe(value.File)}");
                return;
            }

            const int width = 30;
            var filled = value.Total == 0 ? width : value.Done * width / value.Total;
            var line = $"\r[{new string('#', filled)}{new string('.', width - filled)}] {value.Done}/{value.Total} {Safe(Path.GetFileName(value.File))}";
            Console.Error.Write(line.PadRight(_lastWidth));
            _lastWidth = line.Length;
            if (value.Done == value.Total)
            {
                Console.Error.WriteLine();
            }
        }
    }
}
