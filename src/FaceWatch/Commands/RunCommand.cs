using System.CommandLine;

namespace FaceWatch.Commands;

internal static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run", "Not built yet.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("facewatch run: not built yet.");
            return 2;
        });
        return command;
    }
}
