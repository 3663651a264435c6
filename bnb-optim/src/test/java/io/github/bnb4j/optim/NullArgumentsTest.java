package io.github.bnb4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.functional.optim.StateBits;
import io.github.bnb4j.optim.state.OptimizerStateDict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The null rule of the public API (issue 13, item 6): every public constructor and method of bnb-optim, given
 * null for a reference argument, throws {@link NullPointerException} whose message is that argument's name. The
 * classes are found by walking the module's packages, so new API is covered without editing this test; a type
 * it cannot make a sample of fails it, asking for one.
 */
class NullArgumentsTest {
    /** Where null is a documented value: ParamOverride's components ("not set") and equals(Object). */
    private static final List<String> NULLABLE = List.of("ParamOverride.<init>", "equals");

    private static final Map<Class<?>, Object> PRIMITIVES = Map.of(float.class, 0.5f, int.class, 1, long.class,
            1L, boolean.class, false, double.class, 0.5);

    private TensorScope scope;
    private Parameter param;
    private Optimizer optimizer;
    private final Map<Class<?>, Object> receivers = new HashMap<>();

    @TempDir
    Path dir;

    @BeforeEach
    void open() {
        scope = TensorScope.open();
        param = new Parameter("w", Tensor.fromFloats(new float[8], DType.F32, Device.cpu(), 8));
        param.setGrad(Tensor.fromFloats(new float[8], DType.F32, Device.cpu(), 8));
        optimizer = Adam8bit.builder().params(List.of(param)).manager(new GlobalOptimManager()).build();
        optimizer.step();
    }

    @AfterEach
    void close() {
        receivers.values().stream().filter(r -> r instanceof AutoCloseable).forEach(r -> {
            try {
                ((AutoCloseable) r).close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        optimizer.close();
        param.close();
        scope.close();
    }

    @Test
    void everyPublicMethodNamesItsNullArgument() throws Exception {
        List<String> checked = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (Class<?> type : publicClasses()) {
            for (Executable e : executables(type)) {
                Class<?>[] types = e.getParameterTypes();
                for (int i = 0; i < types.length; i++) {
                    if (types[i].isPrimitive() || NULLABLE.contains(label(e)) || NULLABLE.contains(e.getName())) {
                        continue;
                    }
                    Object[] args = new Object[types.length];
                    for (int j = 0; j < types.length; j++) {
                        args[j] = j == i ? null : sample(types[j]);
                    }
                    String expected = e.getParameters()[i].getName();
                    String where = label(e) + " argument " + i + " (" + expected + ")";
                    Throwable thrown = invoke(e, args);
                    if (!(thrown instanceof NullPointerException) || !expected.equals(thrown.getMessage())) {
                        wrong.add(where + ": expected NullPointerException(\"" + expected + "\"), got " + thrown);
                    }
                    checked.add(where);
                }
            }
        }
        assertEquals(List.of(), wrong, "methods that break the null rule");
        assertTrue(checked.size() > 60, "walked only " + checked.size() + " arguments: " + checked);
    }

    private Throwable invoke(Executable e, Object[] args) throws Exception {
        try {
            if (e instanceof Constructor<?> c) {
                Object made = c.newInstance(args);
                if (made instanceof AutoCloseable closeable) {
                    closeable.close();
                }
            } else {
                Method m = (Method) e;
                m.invoke(Modifier.isStatic(m.getModifiers()) ? null : receiver(m.getDeclaringClass()), args);
            }
            return null;
        } catch (InvocationTargetException ex) {
            return ex.getCause();
        }
    }

    private static String label(Executable e) {
        return e.getDeclaringClass().getSimpleName() + "." + (e instanceof Constructor<?> ? "<init>" : e.getName());
    }

    private static List<Executable> executables(Class<?> type) {
        List<Executable> out = new ArrayList<>(List.of(type.getConstructors()));
        for (Method m : type.getDeclaredMethods()) {
            boolean enumValueOf = type.isEnum() && m.getName().equals("valueOf");
            if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic() && !m.isBridge() && !enumValueOf) {
                out.add(m);
            }
        }
        return out;
    }

    /** A non-null value of {@code type}. */
    private Object sample(Class<?> type) throws IOException {
        if (type.isPrimitive()) {
            return PRIMITIVES.get(type);
        }
        if (type == List.class || type == Collection.class) {
            return List.of(param);
        }
        if (type == Map.class) {
            return Map.of();
        }
        if (type == String.class || type == Object.class) {
            return "lr";
        }
        if (type == Path.class) {
            return dir.resolve("checkpoint.safetensors");
        }
        if (type == LossClosure.class) {
            return (LossClosure) () -> 0f;
        }
        if (type == StateBits.class) {
            return StateBits.EIGHT;
        }
        if (type == Parameter.class) {
            return param;
        }
        return receiver(type);
    }

    /** An instance to call {@code type}'s instance methods on (also a sample argument of that type). */
    private Object receiver(Class<?> type) throws IOException {
        Object known = receivers.get(type);
        if (known != null) {
            return known;
        }
        Object made;
        if (type == Optimizer.class) {
            made = new Adam(List.of(param));
        } else if (Optimizer.class.isAssignableFrom(type)) {
            made = build(type);
        } else if (OptimizerBuilder.class.isAssignableFrom(type)) {
            made = builderOf(type);
        } else if (type == GlobalOptimManager.class) {
            made = new GlobalOptimManager();
        } else if (type == ParamGroup.class) {
            made = optimizer.paramGroups().get(0);
        } else if (type == ParamState.class) {
            made = optimizer.state(param);
        } else if (type == OptimConfig.class) {
            made = Defaults.ADAM;
        } else if (type == ParamOverride.class) {
            made = ParamOverride.NONE;
        } else if (type == ParamOverride.Builder.class) {
            made = ParamOverride.builder();
        } else if (type == OptimizerStateDict.class) {
            made = optimizer.stateDict();
        } else if (type.isEnum()) {
            made = type.getEnumConstants()[0];
        } else {
            throw new AssertionError("no sample of " + type.getName() + ": add one to NullArgumentsTest");
        }
        receivers.put(type, made);
        return made;
    }

    /** An optimizer of class {@code type} over the test's parameter. */
    private Object build(Class<?> type) {
        try {
            return type.getConstructor(List.class).newInstance(List.of(param));
        } catch (NoSuchMethodException e) {
            try { // SGD and LARS have no default learning rate or momentum
                return type.getConstructor(List.class, float.class, float.class).newInstance(List.of(param), 0.01f,
                        0.9f);
            } catch (ReflectiveOperationException again) {
                throw new AssertionError("cannot make a " + type.getSimpleName(), again);
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot make a " + type.getSimpleName(), e);
        }
    }

    /** A builder of class {@code type}, from the first optimizer class whose builder() returns one. */
    private static Object builderOf(Class<?> type) {
        for (Class<?> c : publicClasses()) {
            try {
                Method builder = c.getMethod("builder");
                if (Modifier.isStatic(builder.getModifiers()) && type.isAssignableFrom(builder.getReturnType())) {
                    return builder.invoke(null);
                }
            } catch (NoSuchMethodException e) {
                // not an optimizer class
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no builder() returns a " + type.getName());
    }

    /** The public classes (nested ones too) of io.github.bnb4j.optim and its subpackages, from the directory or jar. */
    private static List<Class<?>> publicClasses() {
        Path root;
        try {
            root = Path.of(Optimizer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<String> names = new ArrayList<>();
        try {
            if (Files.isDirectory(root)) {
                try (Stream<Path> files = Files.walk(root)) {
                    files.map(p -> root.relativize(p).toString()).forEach(names::add);
                }
            } else {
                try (JarFile jar = new JarFile(root.toFile())) {
                    for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements();) {
                        names.add(e.nextElement().getName());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Class<?>> out = new ArrayList<>();
        for (String name : names) {
            String n = name.replace('\\', '/');
            if (!n.startsWith("io/github/bnb4j/optim/") || !n.endsWith(".class") || n.endsWith("package-info.class")) {
                continue;
            }
            try {
                Class<?> c = Class.forName(n.substring(0, n.length() - 6).replace('/', '.'));
                boolean visible = Modifier.isPublic(c.getModifiers())
                        && (c.getEnclosingClass() == null || Modifier.isPublic(c.getEnclosingClass().getModifiers()));
                if (visible && !c.isAnonymousClass()) {
                    out.add(c);
                }
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }
}
