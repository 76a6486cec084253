using FaceWatch.Pipeline.Identification;
using FaceWatch.Pipeline.Imaging;
using Microsoft.Extensions.Options;

namespace FaceWatch.Commands;

/// <summary>Console helpers of the face verbs: progress, warnings, and errors turned into one clear line.</summary>
internal static class VerbConsole
{
    public static void Warn(string message) => Console.Error.WriteLine($"warning: {message}");

    /// <summary>Runs a verb body; expected failures (bad files, folders, galleries, settings) print one line and exit 1.</summary>
    public static int Run(string verb, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException
            or GalleryModelMismatchException or ImageLoadException or OptionsValidationException or KeyNotFoundException
            or InvalidOperationException or UnauthorizedAccessException or IOException)
        {
            Console.Error.WriteLine($"facewatch {verb}: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"facewatch {verb}: cancelled.");
            return 130;
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
                Console.Error.WriteLine($"{verb}: {value.Done}/{value.Total} {value.File}");
                return;
            }

            const int width = 30;
            var filled = value.Total == 0 ? width : value.Done * width / value.Total;
            var line = $"\r[{new string('#', filled)}{new string('.', width - filled)}] {value.Done}/{value.Total} {Path.GetFileName(value.File)}";
            Console.Error.Write(line.PadRight(_lastWidth));
            _lastWidth = line.Length;
            if (value.Done == value.Total)
            {
                Console.Error.WriteLine();
            }
        }
    }
}
